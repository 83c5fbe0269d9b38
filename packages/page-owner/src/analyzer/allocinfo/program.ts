// `allocinfo_sort`: /proc/allocinfo sorted as the kernel's documentation reads it.

import { MmError } from "@mm/api";
import { feedInput, latin1, oneOf, parseToolArgs, runTool, type ToolIo } from "../internal/tool.js";
import type { AllocinfoEntry } from "./api.js";
import { AllocinfoParser } from "./parse.js";
import { allocinfoTotals, formatAllocinfo, sortAllocinfo, type AllocinfoSort } from "./sort.js";

const PROG = "allocinfo_sort";

export const ALLOCINFO_SORT_USAGE = `Usage: ${PROG} [--sort=bytes|calls|tag|none] [--reverse] [--top=N] [--inaccurate] [--lenient] FILE
  FILE           /proc/allocinfo (version 1.0 or 2.0) or a copy; "-" is stdin
  --sort=KEY     bytes (default: as LC_ALL=C sort -g), calls, tag (file, line, module, function), none
  --reverse      largest first
  --top=N        only the last N after sorting (the top users: the documentation's "| tail")
  --inaccurate   only sites marked accurate:no (2.0)
  --lenient      skip malformed lines instead of stopping at the first
Prints the header and the sorted lines in the kernel's format, then a total line on stderr.
`;

/** Runs allocinfo_sort with argv (without the program name). @returns the exit status */
export async function runAllocinfoSort(argv: readonly string[], io: ToolIo): Promise<number> {
  return runTool(PROG, io, async () => {
    const { values, flags, positionals } = parseToolArgs(argv, {
      sort: { type: "string" },
      reverse: { type: "boolean" },
      top: { type: "string" },
      inaccurate: { type: "boolean" },
      lenient: { type: "boolean" },
      help: { type: "boolean" },
    });
    if (flags.help === true) {
      io.stdout(ALLOCINFO_SORT_USAGE);
      return;
    }
    if (positionals.length !== 1) throw new MmError("EINVAL", `expected one input file, got ${positionals.length}`);
    const by = oneOf<AllocinfoSort>(values.sort, ["bytes", "calls", "tag", "none"], "bytes", "sort");
    let top: number | undefined;
    if (values.top !== undefined) {
      if (!/^[0-9]{1,15}$/.test(values.top)) throw new MmError("EINVAL", `--top must be a non-negative integer, not ${JSON.stringify(values.top)}`);
      top = Number(values.top);
    }
    const entries: AllocinfoEntry[] = [];
    const p = new AllocinfoParser((e) => entries.push(e), { strict: flags.lenient !== true });
    await feedInput(io, positionals[0], (c) => p.push(c));
    p.end();
    let sorted = sortAllocinfo(flags.inaccurate === true ? entries.filter((e) => !e.accurate) : entries, by, flags.reverse === true);
    // "the top N" are the last N of an ascending sort and the first N of a reversed one.
    if (top !== undefined) sorted = flags.reverse === true ? sorted.slice(0, top) : sorted.slice(Math.max(0, sorted.length - top));
    // No header read (a `sort -g` copy): print the version the lines need.
    const version = p.version ?? (entries.some((e) => !e.accurate) ? "2.0" : "1.0");
    io.stdout(latin1(formatAllocinfo(sorted, version)));
    const t = allocinfoTotals(entries);
    io.stderr(`${PROG}: ${t.sites} sites, ${t.bytes} bytes, ${t.calls} calls, ${t.inaccurate} accurate:no (version ${p.version ?? "unknown"})\n`);
  });
}
