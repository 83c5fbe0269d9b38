// `page_owner_stacks`: reads a show_stacks or show_handles file (joined by handle to a
// show_stacks_handles file with --stacks), sorts it and prints it in the kernel's format.

import { MmError } from "@mm/api";
import { feedInput, latin1, oneOf, parseToolArgs, runTool, type ToolIo } from "../internal/tool.js";
import { formatStackPages, sortStacks, StackTable, type StacksSort } from "./join.js";
import { PageOwnerStacksParser } from "./parse.js";
import { readHandleFrames } from "./read-frames.js";

const PROG = "page_owner_stacks";

export const PAGE_OWNER_STACKS_USAGE = `Usage: ${PROG} [--sort=pages|handle|list] [--stacks=FILE] [--handles] [--threshold=N] [--top=N] FILE
  FILE            show_stacks or show_handles (page_owner_stacks/ in debugfs); "-" is stdin
  --stacks=FILE   show_stacks_handles read: prints show_handles entries with their frames
  --sort=ORDER    pages (most first, default), handle (ascending), list (the kernel's order)
  --handles       print the handle line of entries that have one
  --threshold=N   only entries with at least N base pages (as count_threshold)
  --top=N         only the first N entries after sorting
Ends with one line: total pages, entries, entries without frames.
`;

function count(v: string | undefined, option: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[0-9]{1,15}$/.test(v)) throw new MmError("EINVAL", `--${option} must be a non-negative integer, not ${JSON.stringify(v)}`);
  return Number(v);
}

/** Runs page_owner_stacks with argv (without the program name). @returns the exit status */
export async function runPageOwnerStacks(argv: readonly string[], io: ToolIo): Promise<number> {
  return runTool(PROG, io, async () => {
    const { values, flags, positionals } = parseToolArgs(argv, {
      sort: { type: "string" },
      stacks: { type: "string" },
      handles: { type: "boolean" },
      threshold: { type: "string" },
      top: { type: "string" },
      help: { type: "boolean" },
    });
    if (flags.help === true) {
      io.stdout(PAGE_OWNER_STACKS_USAGE);
      return;
    }
    if (positionals.length !== 1) throw new MmError("EINVAL", `expected one input file, got ${positionals.length}`);
    const sort = oneOf<StacksSort>(values.sort, ["pages", "handle", "list"], "pages", "sort");
    const threshold = count(values.threshold, "threshold") ?? 0;
    const top = count(values.top, "top");
    const frames = values.stacks === undefined ? undefined : await readHandleFrames(io, values.stacks);
    const table = new StackTable(frames);
    const p = new PageOwnerStacksParser((e) => table.add(e), { strict: true });
    await feedInput(io, positionals[0], (c) => p.push(c));
    p.end();
    let rows = sortStacks(table.rows, sort).filter((r) => r.nrBasePages >= threshold);
    if (top !== undefined) rows = rows.slice(0, top);
    let out = formatStackPages(rows, flags.handles === true);
    out += `total: ${table.totalPages} pages in ${table.rows.length} stacks (${p.format ?? "empty"}); ${rows.length} shown, ${table.unresolved} without frames\n`;
    io.stdout(latin1(out));
  });
}
