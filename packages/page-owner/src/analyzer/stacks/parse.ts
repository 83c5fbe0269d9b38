// Reads the page_owner_stacks/ files (mm/page_owner.c stack_print): show_stacks (6.9+),
// show_handles and show_stacks_handles (6.19, "mm/page_owner: add debugfs files 'show_handles'
// and 'show_stacks_handles'", https://patchew.org/linux/20251001175611.575861-1-mfo@igalia.com).

import { MmError } from "@mm/api";
import { LineSplitter, MAX_LINE_DEFAULT } from "../internal/lines.js";
import type { StacksEntry, StacksFormat, StacksIssue, StacksIssueCode, StacksParseOptions } from "./api.js";

const HANDLE = "handle: ";
const PAGES = "nr_base_pages: ";
const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

/** `%d` of a C int from `from` to the end of `s`: optional '-', 1-10 digits, in int range; else null. */
function cInt(s: string, from: number): number | null {
  let i = from;
  const neg = s.charCodeAt(i) === 45;
  if (neg) i++;
  const digits = s.length - i;
  if (digits < 1 || digits > 10) return null;
  let v = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return null;
    v = v * 10 + c;
  }
  if (neg) v = -v;
  return v < INT_MIN || v > INT_MAX ? null : v;
}

/** The file a block's field set belongs to, or null when no kernel file prints that set. */
function shapeOf(frames: boolean, handle: boolean, pages: boolean): StacksFormat | null {
  if (frames && !handle && pages) return "show_stacks";
  if (!frames && handle && pages) return "show_handles";
  if (frames && handle && !pages) return "show_stacks_handles";
  return null;
}

/**
 * Push parser for page_owner_stacks files: feed chunks with {@link push}, then {@link end}. Each
 * block goes to `onEntry`; the file's format is fixed by the first block. Duplicate handles are
 * found with a set of those seen: memory grows with the distinct stacks, not with the bytes.
 */
export class PageOwnerStacksParser {
  private readonly lines: LineSplitter;
  /** Detected from the first well-formed block. */
  format: StacksFormat | null = null;
  entries = 0;
  issues = 0;

  private start = 0;
  private frames: string[] = [];
  private handle: number | null = null;
  private pages: number | null = null;
  private bad = false;
  private readonly seen = new Set<number>();

  constructor(
    private readonly onEntry: (e: StacksEntry) => void,
    private readonly options: StacksParseOptions = {},
  ) {
    this.lines = new LineSplitter((l, n, long) => this.line(l, n, long), options.maxLineLength ?? MAX_LINE_DEFAULT);
  }

  push(chunk: Uint8Array | string): void {
    this.lines.push(chunk);
  }

  end(): void {
    this.lines.end();
    this.close();
  }

  private line(l: string, n: number, tooLong: boolean): void {
    if (tooLong) this.issue("LINE_TOO_LONG", n, "line longer than the limit (cut)");
    if (l.length === 0) {
      this.close();
      return;
    }
    if (this.start === 0) this.start = n;
    if (this.bad) return;
    if (l.charCodeAt(0) === 32) {
      if (this.handle !== null || this.pages !== null) return this.badBlock(n, "a frame line after the handle or count");
      this.frames.push(l);
    } else if (l.startsWith(HANDLE)) {
      const v = cInt(l, HANDLE.length);
      if (v === null) return this.fail("BAD_NUMBER", n, `bad handle ${JSON.stringify(l)}`);
      if (this.handle !== null || this.pages !== null) return this.badBlock(n, "a handle line after the handle or count");
      this.handle = v;
    } else if (l.startsWith(PAGES)) {
      const v = cInt(l, PAGES.length);
      if (v === null) return this.fail("BAD_NUMBER", n, `bad count ${JSON.stringify(l)}`);
      if (this.pages !== null) return this.badBlock(n, "a second nr_base_pages line");
      this.pages = v;
    } else {
      this.fail("GARBAGE", n, `not a page_owner_stacks line: ${JSON.stringify(l.length > 80 ? `${l.slice(0, 80)}...` : l)}`);
    }
  }

  private badBlock(n: number, why: string): void {
    this.fail("BAD_BLOCK", n, why);
  }

  /** Reports an issue and skips the rest of the block. */
  private fail(code: StacksIssueCode, n: number, message: string): void {
    this.bad = true;
    this.issue(code, n, message);
  }

  private close(): void {
    if (this.start === 0) return;
    const start = this.start;
    const frames = this.frames;
    const handle = this.handle;
    const pages = this.pages;
    const bad = this.bad;
    this.start = 0;
    if (frames.length !== 0) this.frames = [];
    this.handle = null;
    this.pages = null;
    this.bad = false;
    if (bad) return;
    const shape = shapeOf(frames.length !== 0, handle !== null, pages !== null);
    if (shape === null) {
      this.issue("BAD_BLOCK", start, "a block with fields no page_owner_stacks file prints together");
      return;
    }
    if (this.format === null) this.format = shape;
    else if (shape !== this.format) {
      this.issue("MIXED_FORMAT", start, `a ${shape} block in a ${this.format} file`);
      return;
    }
    const framesText = frames.length === 0 ? null : frames.join("\n");
    // Handles are unique in the kernel's list. Frame texts need not be: two depot records whose
    // addresses differ can print alike (a module reloaded elsewhere), so those are not checked.
    if (handle !== null) {
      if (this.seen.has(handle)) {
        this.issue("DUPLICATE", start, `handle ${handle} printed twice`);
        return;
      }
      this.seen.add(handle);
    }
    this.entries++;
    this.onEntry({ line: start, framesText, handle, nrBasePages: pages });
  }

  private issue(code: StacksIssueCode, line: number, message: string): void {
    this.issues++;
    const issue: StacksIssue = { code, line, message };
    this.options.onIssue?.(issue);
    if (this.options.strict === true) throw new MmError("PARSE_ERROR", `line ${line}: ${code}: ${message}`, { line, issue: code });
  }
}

/** A whole page_owner_stacks text held in memory: its format (null when empty) and blocks. */
export function parsePageOwnerStacksText(
  text: string,
  options: StacksParseOptions = {},
): { format: StacksFormat | null; entries: StacksEntry[] } {
  const entries: StacksEntry[] = [];
  const p = new PageOwnerStacksParser((e) => entries.push(e), options);
  p.push(Buffer.from(text, "utf8"));
  p.end();
  return { format: p.format, entries };
}
