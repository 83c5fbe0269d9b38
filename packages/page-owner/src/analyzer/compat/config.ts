// The option model of page_owner_sort (6.1 and 6.7+/6.12 behaviours): the cull and filter bits,
// the comparators a --sort list or a single-letter flag selects, and their parsing
// (get_arg_type, parse_cull_args, parse_sort_args, parse_nums_list, explode).

import { strtolArg } from "../internal/libc.js";

/** Which kernel tool to behave as. */
export type CompatEra = "6.1" | "6.12";

// enum FILTER_BIT
export const FILTER_UNRELEASE = 1 << 1;
export const FILTER_PID = 1 << 2;
export const FILTER_TGID = 1 << 3;
export const FILTER_COMM = 1 << 4;

// enum CULL_BIT
export const CULL_UNRELEASE = 1 << 1;
export const CULL_PID = 1 << 2;
export const CULL_TGID = 1 << 3;
export const CULL_COMM = 1 << 4;
export const CULL_STACKTRACE = 1 << 5;
export const CULL_ALLOCATOR = 1 << 6;
/** Ours (`--memcg`): the memcg trailer lines (see memcg.ts). The C tools have no such bit. */
export const CULL_MEMCG = 1 << 7;

// The comparators (compare_* in C), as ids.
export const CMP_TXT = 0;
export const CMP_STACKTRACE = 1;
export const CMP_NUM = 2;
export const CMP_PAGE_NUM = 3;
export const CMP_PID = 4;
export const CMP_TGID = 5;
export const CMP_COMM = 6;
export const CMP_TS = 7;
export const CMP_FREE_TS = 8;
export const CMP_ALLOCATOR = 9;
export type CmpId = number;

/** SORT_ASC / SORT_DESC. */
export const SORT_ASC = 1;
export const SORT_DESC = -1;

/** Everything main() collects before loading. */
export interface CompatConfig {
  era: CompatEra;
  cull: number;
  filter: number;
  pids: number[];
  tgids: number[];
  comms: string[];
  /** sc.cmps / sc.signs */
  sortCmps: CmpId[];
  sortSigns: number[];
  debug: boolean;
}

/** A fresh config: no filter, no cull, no comparator yet (main() picks the default). */
export function defaultCompatConfig(era: CompatEra): CompatConfig {
  return { era, cull: 0, filter: 0, pids: [], tgids: [], comms: [], sortCmps: [], sortSigns: [], debug: false };
}

// enum ARG_TYPE (only the members get_arg_type() can return)
const ARG_TXT = 0;
const ARG_COMM = 1;
const ARG_STACKTRACE = 2;
const ARG_ALLOC_TS = 3;
const ARG_FREE_TS = 4;
const ARG_PID = 7;
const ARG_TGID = 8;
const ARG_UNKNOWN = 9;
const ARG_FREE = 10;
const ARG_ALLOCATOR = 11;

/** get_arg_type(): 6.7+ dropped `free`/`f` and `free_ts`/`ft`. */
function getArgType(arg: string, era: CompatEra): number {
  if (arg === "pid" || arg === "p") return ARG_PID;
  if (arg === "tgid" || arg === "tg") return ARG_TGID;
  if (arg === "name" || arg === "n") return ARG_COMM;
  if (arg === "stacktrace" || arg === "st") return ARG_STACKTRACE;
  if (era === "6.1" && (arg === "free" || arg === "f")) return ARG_FREE;
  if (arg === "txt" || arg === "T") return ARG_TXT;
  if (era === "6.1" && (arg === "free_ts" || arg === "ft")) return ARG_FREE_TS;
  if (arg === "alloc_ts" || arg === "at") return ARG_ALLOC_TS;
  if (arg === "allocator" || arg === "ator") return ARG_ALLOCATOR;
  return ARG_UNKNOWN;
}

/**
 * explode(): split on `sep`; an empty string gives [""], a trailing separator an empty last
 * element, exactly like the C helper.
 */
export function explode(sep: string, str: string): string[] {
  return str.split(sep);
}

/** set_single_cmp(): replaces the whole sort condition by one comparator. */
export function setSingleCmp(c: CompatConfig, cmp: CmpId, sign: number): void {
  c.sortCmps = [cmp];
  c.sortSigns = [sign];
}

/** parse_cull_args(): false on an unknown key (the caller prints the error). */
export function parseCullArgs(c: CompatConfig, arg: string): boolean {
  for (const a of explode(",", arg)) {
    const t = getArgType(a, c.era);
    if (t === ARG_PID) c.cull |= CULL_PID;
    else if (t === ARG_TGID) c.cull |= CULL_TGID;
    else if (t === ARG_COMM) c.cull |= CULL_COMM;
    else if (t === ARG_STACKTRACE) c.cull |= CULL_STACKTRACE;
    else if (t === ARG_FREE) c.cull |= CULL_UNRELEASE;
    else if (t === ARG_ALLOCATOR) c.cull |= CULL_ALLOCATOR;
    else return false; // bits set by earlier keys stay set, as in C
  }
  if (c.sortCmps.length === 0) setSingleCmp(c, CMP_NUM, SORT_DESC);
  return true;
}

/** parse_sort_args(): resets the sort condition; false (and an empty condition) on a bad key. */
export function parseSortArgs(c: CompatConfig, arg: string): boolean {
  const args = explode(",", arg);
  const cmps: CmpId[] = [];
  const signs: number[] = [];
  for (const a of args) {
    let sign = SORT_ASC;
    let offset = 0;
    if (a[0] === "-" || a[0] === "+") {
      if (a[0] === "-") sign = SORT_DESC;
      offset = 1;
    }
    const t = getArgType(a.slice(offset), c.era);
    let cmp: CmpId;
    if (t === ARG_PID) cmp = CMP_PID;
    else if (t === ARG_TGID) cmp = CMP_TGID;
    else if (t === ARG_COMM) cmp = CMP_COMM;
    else if (t === ARG_STACKTRACE) cmp = CMP_STACKTRACE;
    else if (t === ARG_ALLOC_TS) cmp = CMP_TS;
    else if (t === ARG_FREE_TS) cmp = CMP_FREE_TS;
    else if (t === ARG_TXT) cmp = CMP_TXT;
    else if (t === ARG_ALLOCATOR) cmp = CMP_ALLOCATOR;
    else {
      c.sortCmps = [];
      c.sortSigns = [];
      return false;
    }
    cmps.push(cmp);
    signs.push(sign);
  }
  c.sortCmps = cmps;
  c.sortSigns = signs;
  return true;
}

/** parse_nums_list(): null when an element is not a whole decimal number. */
export function parseNumsList(arg: string): number[] | null {
  const out: number[] = [];
  for (const a of explode(",", arg)) {
    const v = strtolArg(a);
    if (v === null) return null;
    out.push(v);
  }
  return out;
}
