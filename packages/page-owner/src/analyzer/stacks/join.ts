// Joins page_owner_stacks files by handle (6.19): show_handles gives handle -> nr_base_pages,
// show_stacks_handles gives handle -> frames, unfiltered, so a later read of it covers every handle
// of an earlier show_handles (the stack list is prepend-only: stacks are never removed).

import { MmError } from "@mm/api";
import type { StackPages, StacksEntry, StacksFormat } from "./api.js";

/** handle -> frame lines, from show_stacks_handles. */
export class HandleFrames {
  private readonly byHandle = new Map<number, string>();

  add(e: StacksEntry): void {
    if (e.handle === null || e.framesText === null)
      throw new MmError("PARSE_ERROR", `line ${e.line}: not a show_stacks_handles block`, { line: e.line });
    this.byHandle.set(e.handle, e.framesText);
  }

  get(handle: number): string | undefined {
    return this.byHandle.get(handle);
  }

  get size(): number {
    return this.byHandle.size;
  }
}

/**
 * The stacks of one show_stacks or show_handles read, in the kernel's list order (newest stack
 * first), with frames joined from a {@link HandleFrames} where given.
 */
export class StackTable {
  readonly rows: StackPages[] = [];
  /** Rows whose frames are not known (show_handles handles the frames file did not list). */
  unresolved = 0;
  totalPages = 0;
  format: StacksFormat | null = null;

  constructor(private readonly frames?: HandleFrames) {}

  add(e: StacksEntry): void {
    if (e.nrBasePages === null)
      throw new MmError("PARSE_ERROR", `line ${e.line}: a show_stacks_handles block has no nr_base_pages to count`, { line: e.line });
    let framesText = e.framesText;
    if (framesText === null && e.handle !== null && this.frames !== undefined) framesText = this.frames.get(e.handle) ?? null;
    if (framesText === null) this.unresolved++;
    this.rows.push({ handle: e.handle, framesText, nrBasePages: e.nrBasePages });
    this.totalPages += e.nrBasePages;
  }
}

/** Sort orders of `page_owner_stacks`. */
export type StacksSort = "pages" | "handle" | "list";

/**
 * The rows in the given order: `pages` most first, `handle` ascending (as u32), `list` as read
 * (the kernel's list order). Ties keep the read order (the sort is stable).
 */
export function sortStacks(rows: readonly StackPages[], by: StacksSort): StackPages[] {
  const out = rows.slice();
  if (by === "pages") out.sort((a, b) => b.nrBasePages - a.nrBasePages);
  else if (by === "handle") out.sort((a, b) => ((a.handle ?? 0) >>> 0) - ((b.handle ?? 0) >>> 0));
  return out;
}

/**
 * Prints rows the way stack_print() does: frames when known, `handle: %d` when known and asked for
 * (or when there are no frames to print), `nr_base_pages: %d`, a blank line. Rows with frames and
 * without `withHandles` are byte for byte show_stacks; rows without frames, show_handles.
 */
export function formatStackPages(rows: Iterable<StackPages>, withHandles = false): string {
  let s = "";
  for (const r of rows) {
    if (r.framesText !== null) s += `${r.framesText}\n`;
    if (r.handle !== null && (withHandles || r.framesText === null)) s += `handle: ${r.handle}\n`;
    s += `nr_base_pages: ${r.nrBasePages}\n\n`;
  }
  return s;
}
