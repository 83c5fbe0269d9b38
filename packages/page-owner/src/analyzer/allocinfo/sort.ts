// Sorting and printing /proc/allocinfo call sites. The kernel's documentation reads the file with
// `sort -g /proc/allocinfo | tail`: by bytes ascending, the biggest users last. `bytes` here is
// that order exactly as LC_ALL=C `sort -g` gives it (ties broken by comparing the whole lines'
// bytes); `calls` is the same on the calls column; `tag` orders by file, line, module, function.

import type { AllocinfoEntry } from "./api.js";
import { ALLOCINFO_COLUMNS, ALLOCINFO_VERSION_PREFIX } from "./parse.js";

export type AllocinfoSort = "bytes" | "calls" | "tag" | "none";

/** The call-site line as alloc_tag_to_text() prints it (with the trailing space, no newline). */
export function formatAllocinfoLine(e: AllocinfoEntry): string {
  const tag = e.modname === null ? `${e.filename}:${e.lineno} func:${e.func}` : `${e.filename}:${e.lineno} [${e.modname}] func:${e.func}`;
  return `${String(e.bytes).padStart(12)} ${String(e.calls).padStart(8)} ${tag}${e.accurate ? "" : " accurate:no"} `;
}

/** The whole file as print_allocinfo_header() and allocinfo_show() print it, for a version. */
export function formatAllocinfo(entries: Iterable<AllocinfoEntry>, version: string): string {
  let s = `${ALLOCINFO_VERSION_PREFIX}${version}\n${ALLOCINFO_COLUMNS}\n`;
  for (const e of entries) s += `${formatAllocinfoLine(e)}\n`;
  return s;
}

/** strcmp of two latin1 strings (one char per byte): the C locale's collation. */
function byteCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function bigCompare(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The entries in `by` order, ascending unless `reverse` (as `sort -g -r`, which reverses the
 * tie-break too). `none` keeps the file order (reversed with `reverse`).
 */
export function sortAllocinfo(entries: readonly AllocinfoEntry[], by: AllocinfoSort, reverse = false): AllocinfoEntry[] {
  const lines = entries.map(formatAllocinfoLine);
  const idx = entries.map((_, i) => i);
  let cmp: (i: number, j: number) => number;
  if (by === "bytes") cmp = (i, j) => bigCompare(entries[i].bytes, entries[j].bytes) || byteCompare(lines[i], lines[j]);
  else if (by === "calls") cmp = (i, j) => bigCompare(entries[i].calls, entries[j].calls) || byteCompare(lines[i], lines[j]);
  else if (by === "tag")
    cmp = (i, j) => {
      const a = entries[i];
      const b = entries[j];
      return (
        byteCompare(a.filename, b.filename) ||
        a.lineno - b.lineno ||
        byteCompare(a.modname ?? "", b.modname ?? "") ||
        byteCompare(a.func, b.func) ||
        i - j
      );
    };
  else cmp = (i, j) => i - j;
  idx.sort(reverse ? (i, j) => cmp(j, i) : cmp);
  return idx.map((i) => entries[i]);
}

/** Sums over call sites. */
export interface AllocinfoTotals {
  readonly sites: number;
  readonly bytes: bigint;
  readonly calls: bigint;
  /** Sites marked `accurate:no`. */
  readonly inaccurate: number;
}

export function allocinfoTotals(entries: Iterable<AllocinfoEntry>): AllocinfoTotals {
  let sites = 0;
  let bytes = 0n;
  let calls = 0n;
  let inaccurate = 0;
  for (const e of entries) {
    sites++;
    bytes += e.bytes;
    calls += e.calls;
    if (!e.accurate) inaccurate++;
  }
  return { sites, bytes, calls, inaccurate };
}
