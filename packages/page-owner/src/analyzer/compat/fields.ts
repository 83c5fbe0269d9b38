// page_owner_sort's field extraction (tools/mm/page_owner_sort.c: search_pattern, get_page_num,
// get_pid, get_tgid, get_comm, get_ts_nsec, get_free_ts_nsec, get_allocator), byte for byte.
//
// The C tool compiles POSIX EREs with REG_EXTENDED|REG_NEWLINE and takes the first match in the
// block. Translated to JS: `\s` is glibc's [[:space:]] in the C locale (JS `\s` would also match
// U+00A0, a byte of latin1-decoded input), and `.` cannot cross a newline (JS `.` would also stop
// at `\r`). For these patterns POSIX leftmost-longest and JS leftmost-greedy pick the same match.

import { strtolInt, strtoullU64, U64_MINUS_ONE } from "../internal/libc.js";

const S = "[ \\t\\n\\v\\f\\r]";
/** `order\s*([0-9]*),` */
const ORDER_RE = new RegExp(`order${S}*([0-9]*),`);
/** `pid\s*([0-9]*),` */
const PID_RE = new RegExp(`pid${S}*([0-9]*),`);
/** `tgid\s*([0-9]*) ` */
const TGID_RE = new RegExp(`tgid${S}*([0-9]*) `);
/** `tgid\s*[0-9]*\s*\((.*)\),\s*ts\s*` */
const COMM_RE = new RegExp(`tgid${S}*[0-9]*${S}*\\(([^\\n]*)\\),${S}*ts${S}*`);
/** `ts\s*([0-9]*)\s*ns` of 6.7+ (also the pattern it strips from each block before grouping). */
export const TS_RE = new RegExp(`ts${S}*([0-9]*)${S}*ns`);
/**
 * `ts\s*([0-9]*)\s*ns,` of 6.1 (tools/vm, 6.1.192): the comma after "ns" is part of it, so a
 * 6.7+ header (no ", free_ts" after the ts) has no timestamp for the 6.1 tool.
 */
const TS_RE_6_1 = new RegExp(`ts${S}*([0-9]*)${S}*ns,`);
/** `free_ts\s*([0-9]*)\s*ns` (6.1 only). */
const FREE_TS_RE = new RegExp(`free_ts${S}*([0-9]*)${S}*ns`);

/** Allocator bits (enum ALLOCATOR_BIT). */
export const ALLOCATOR_CMA = 1 << 1;
export const ALLOCATOR_SLAB = 1 << 2;
export const ALLOCATOR_VMALLOC = 1 << 3;
export const ALLOCATOR_OTHERS = 1 << 4;

/** Receives the `-d` messages (stderr); null when debug is off. */
export type DebugSink = ((msg: string) => void) | null;

/**
 * search_pattern(): the first group of the first match, or null (the C buffer then stays all
 * zeros, i.e. ""). `buf` is the C string the tool passes: the block text plus the "\n" of the
 * blank line that ended it.
 */
function search(re: RegExp, buf: string, debug: DebugSink): string | null {
  const m = re.exec(buf);
  if (m === null) {
    if (debug !== null) debug(`no matching pattern in ${buf}\n`);
    return null;
  }
  return m[1];
}

/** get_page_num(): `1 << order`, or 0 when the order is missing, > 64 or unparsable. */
export function getPageNum(buf: string, debug: DebugSink): number {
  const s = search(ORDER_RE, buf, debug) ?? "";
  const order = strtolInt(s);
  if (order === null || order > 64) {
    if (debug !== null) debug(`wrong order in follow buf:\n${buf}\n`);
    return 0;
  }
  // C's `1 << order_val` on x86-64 masks the count to 5 bits and yields an int: so does JS.
  return 1 << order;
}

/** get_pid(): the pid, or -1. */
export function getPid(buf: string, debug: DebugSink): number {
  const v = strtolInt(search(PID_RE, buf, debug) ?? "");
  if (v === null) {
    if (debug !== null) debug(`wrong/invalid pid in follow buf:\n${buf}\n`);
    return -1;
  }
  return v;
}

/** get_tgid(): the tgid, or -1. */
export function getTgid(buf: string, debug: DebugSink): number {
  const v = strtolInt(search(TGID_RE, buf, debug) ?? "");
  if (v === null) {
    if (debug !== null) debug(`wrong/invalid tgid in follow buf:\n${buf}\n`);
    return -1;
  }
  return v;
}

/**
 * get_comm(): the text between `(` and the last `), ts` of the header line. The C tool copies it
 * into a 16-byte buffer without a bound; kernel comms are at most 15 bytes so that never matters
 * for real dumps, and for longer matches we keep the whole text instead of overflowing.
 */
export function getComm(buf: string, debug: DebugSink): string {
  return search(COMM_RE, buf, debug) ?? "";
}

/** A u64 timestamp: a number up to 2^53, a bigint above. */
export type U64 = number | bigint;

/** get_ts_nsec(): the allocation timestamp, or (u64)-1. `era61`: the 6.1 tool's pattern. */
export function getTsNsec(buf: string, debug: DebugSink, era61 = false): U64 {
  const v = strtoullU64(search(era61 ? TS_RE_6_1 : TS_RE, buf, debug) ?? "");
  if (v === null) {
    if (debug !== null) debug(`wrong ts_nsec in follow buf:\n${buf}\n`);
    return U64_MINUS_ONE;
  }
  return v;
}

/** get_free_ts_nsec() (6.1): the free timestamp, or (u64)-1 (always, for 6.7+ dumps). */
export function getFreeTsNsec(buf: string, debug: DebugSink): U64 {
  const v = strtoullU64(search(FREE_TS_RE, buf, debug) ?? "");
  if (v === null) {
    if (debug !== null) debug(`wrong free_ts_nsec in follow buf:\n${buf}\n`);
    return U64_MINUS_ONE;
  }
  return v;
}

/**
 * get_allocator(): CMA / SLAB from the block's PFN line (`migrate_info`, the last PFN line the
 * reader saw, possibly a previous block's: the reader hands over its CMA/SLAB bits), VMALLOC when
 * `__vmalloc_node_range` appears and `alloc_pages` occurs between the start of the line before it
 * and that occurrence. `mayHaveVmalloc` false (from the reader, which searched the whole window
 * once) skips the search.
 */
export function getAllocator(buf: string, extBits: number, mayHaveVmalloc = true): number {
  let allocator = extBits & (ALLOCATOR_CMA | ALLOCATOR_SLAB);
  // mayHaveVmalloc false: the reader already knows the block has no such text.
  const second = mayHaveVmalloc ? buf.indexOf("__vmalloc_node_range") : -1;
  if (second !== -1) {
    // C walks back to the '\n' before the occurrence, one more char, then to the previous '\n'.
    // Walking off the start of the buffer is undefined there; we stop at the start.
    let tmp = second;
    while (tmp >= 0 && buf.charCodeAt(tmp) !== 10) tmp--;
    tmp--;
    while (tmp >= 0 && buf.charCodeAt(tmp) !== 10) tmp--;
    const first = tmp + 1;
    const hit = buf.indexOf("alloc_pages", first);
    if (hit !== -1 && hit < second) allocator |= ALLOCATOR_VMALLOC;
  }
  if (allocator === 0) allocator = ALLOCATOR_OTHERS;
  return allocator;
}

/** print_allocator(): `allocated by ` then each class with a trailing space. */
export function formatAllocator(allocator: number): string {
  let s = "allocated by ";
  if (allocator & ALLOCATOR_CMA) s += "CMA ";
  if (allocator & ALLOCATOR_SLAB) s += "SLAB ";
  if (allocator & ALLOCATOR_VMALLOC) s += "VMALLOC ";
  if (allocator & ALLOCATOR_OTHERS) s += "OTHERS ";
  return s;
}

/** The allocator classes as names, for JSON output. */
export function allocatorNames(allocator: number): string[] {
  const out: string[] = [];
  if (allocator & ALLOCATOR_CMA) out.push("CMA");
  if (allocator & ALLOCATOR_SLAB) out.push("SLAB");
  if (allocator & ALLOCATOR_VMALLOC) out.push("VMALLOC");
  if (allocator & ALLOCATOR_OTHERS) out.push("OTHERS");
  return out;
}

/**
 * remove_pattern(&ts_nsec_pattern, txt) of the 6.7+ tool: deletes the digits of the first
 * `ts … ns` match so that otherwise identical blocks compare equal (`ts  ns` remains).
 */
export function removeTsDigits(txt: string): string {
  const m = TS_RE.exec(txt);
  if (m === null || m[1].length === 0) return txt;
  // The group starts after "ts" and the whitespace: locate it inside the match.
  const start = m.index + m[0].indexOf(m[1], 2);
  return txt.slice(0, start) + txt.slice(start + m[1].length);
}

/**
 * The header line as every kernel from ~5.18 prints it. Gfp names are limited to what %pGg prints
 * (upper-case names, `|`, leftover `0x<hex>`), so nothing before the comm can contain "pid",
 * "tgid", "ts" or "order"; the comm is greedy, as in COMM_RE.
 */
const STD_HEADER =
  /^Page allocated via order ([0-9]+), mask 0x[0-9a-f]+\([A-Z0-9_|a-fx]*\), pid ([0-9]+), tgid ([0-9]+) \((.*)\), ts ([0-9]+) ns(?:, free_ts ([0-9]+) ns)?$/;

/** What the get_* helpers return for a block, computed at once. */
export interface HeaderFields {
  /** The order digits (get_page_num parses them). */
  readonly order: string;
  readonly pid: string;
  readonly tgid: string;
  readonly comm: string;
  readonly ts: string;
  /** undefined: the header has no free_ts (search the block as get_free_ts_nsec does). */
  readonly freeTs: string | undefined;
  /** Offset and length of the ts digits in the block (what remove_pattern deletes). */
  readonly tsStart: number;
}

/**
 * Fast path for a standard header: returns exactly what each regex would find first in the whole
 * block, or null when that is not certain (odd header, or a comm containing "ts"), in which case
 * the caller runs the regexes. Checked against the regexes by the differential fuzz test.
 */
export function standardHeader(content: string): HeaderFields | null {
  let nl = content.indexOf("\n");
  if (nl === -1) nl = content.length;
  const m = STD_HEADER.exec(nl === content.length ? content : content.slice(0, nl));
  if (m === null) return null;
  const comm = m[4];
  if (comm.includes("ts")) return null;
  // ", ts <digits> ns" is the last "), ts " of the line: the digits start after it.
  const tsStart = content.lastIndexOf("), ts ", nl) + 6;
  return { order: m[1], pid: m[2], tgid: m[3], comm, ts: m[5], freeTs: m[6], tsStart };
}

/** get_page_num() from already extracted order digits. */
export function pageNumOf(orderDigits: string): number {
  const order = strtolInt(orderDigits);
  return order === null || order > 64 ? 0 : 1 << order;
}

/** get_pid()/get_tgid() from already extracted digits. */
export function intOf(digits: string): number {
  return strtolInt(digits) ?? -1;
}

/** get_ts_nsec()/get_free_ts_nsec() from already extracted digits. */
export function u64Of(digits: string): U64 {
  return strtoullU64(digits) ?? U64_MINUS_ONE;
}

/** The standard header's fields, parsed from bytes (one reused instance: nothing per block). */
export class HeaderBytes {
  /** get_page_num() */
  pageNum = 0;
  pid = 0;
  tgid = 0;
  /** The comm is block[commStart, commEnd). */
  commStart = 0;
  commEnd = 0;
  ts: U64 = 0;
  /** The ts digits are block[tsStart, tsEnd) (what remove_pattern deletes). */
  tsStart = 0;
  tsEnd = 0;
  /** Where the header line ends (its "\n", or the block's length). */
  lineEnd = 0;
  /** The header ends in `, free_ts N ns` (5.11-6.6). */
  hasFreeTs = false;
  freeTs: U64 = 0;
}

const PAGE_ALLOCATED = Buffer.from("Page allocated via order ", "latin1");
const MASK = Buffer.from(", mask 0x", "latin1");
const PID = Buffer.from(", pid ", "latin1");
const TGID = Buffer.from(", tgid ", "latin1");
const COMM_OPEN = Buffer.from(" (", "latin1");
const TS = Buffer.from("), ts ", "latin1");
const FREE_TS = Buffer.from(", free_ts ", "latin1");

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** b[at, at + lit.length) === lit, inside [0, end). */
function litAt(b: Uint8Array, at: number, end: number, lit: Uint8Array): boolean {
  if (at < 0 || at + lit.length > end) return false;
  for (let i = 0; i < lit.length; i++) if (b[at + i] !== lit[i]) return false;
  return true;
}

/** End of the digit run starting at i (i itself when there is none). */
function digitsEnd(b: Uint8Array, i: number, end: number): number {
  while (i < end && isDigit(b[i])) i++;
  return i;
}

/** intOf() of the digits b[s, e). */
function intAt(b: Buffer, s: number, e: number): number {
  if (e - s > 9) return intOf(b.toString("latin1", s, e));
  let v = 0;
  for (let i = s; i < e; i++) v = v * 10 + (b[i] - 0x30);
  return v;
}

/** u64Of() of the digits b[s, e). */
function u64At(b: Buffer, s: number, e: number): U64 {
  if (e - s > 15) return u64Of(b.toString("latin1", s, e));
  let v = 0;
  for (let i = s; i < e; i++) v = v * 10 + (b[i] - 0x30); // exact: 10^15 < 2^53
  return v;
}

/** [A-Z0-9_|a-fx]: what %pGg prints inside the mask's parentheses. */
function isGfpChar(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || isDigit(c) || c === 0x5f || c === 0x7c || (c >= 0x61 && c <= 0x66) || c === 0x78;
}

/**
 * standardHeader() over the bytes of a block, without making strings: true (and `h` filled) for
 * exactly the blocks standardHeader() accepts, with the same fields (checked by the fuzz test).
 * The header line is STD_HEADER: `(.*)` cannot match `\r`, and the comm is the longest one the
 * rest of the line fits after: `), ts N ns` or `), ts N ns, free_ts N ns` up to the line's end,
 * which only one position can start.
 */
export function parseHeaderBytes(b: Buffer, len: number, h: HeaderBytes): boolean {
  if (!litAt(b, 0, len, PAGE_ALLOCATED)) return false;
  let i = PAGE_ALLOCATED.length;
  const orderEnd = digitsEnd(b, i, len);
  if (orderEnd === i) return false;
  const orderStart = i;
  if (!litAt(b, orderEnd, len, MASK)) return false;
  i = orderEnd + MASK.length;
  const hexStart = i;
  while (i < len && (isDigit(b[i]) || (b[i] >= 0x61 && b[i] <= 0x66))) i++;
  if (i === hexStart || i >= len || b[i] !== 0x28) return false; // "("
  i++;
  while (i < len && isGfpChar(b[i])) i++;
  if (i >= len || b[i] !== 0x29) return false; // ")"
  if (!litAt(b, i + 1, len, PID)) return false;
  i += 1 + PID.length;
  const pidEnd = digitsEnd(b, i, len);
  if (pidEnd === i) return false;
  const pidStart = i;
  if (!litAt(b, pidEnd, len, TGID)) return false;
  i = pidEnd + TGID.length;
  const tgidEnd = digitsEnd(b, i, len);
  if (tgidEnd === i) return false;
  const tgidStart = i;
  if (!litAt(b, tgidEnd, len, COMM_OPEN)) return false;
  const commStart = tgidEnd + COMM_OPEN.length;
  let nl = commStart;
  for (; nl < len; nl++) {
    const c = b[nl];
    if (c === 10) break;
    if (c === 13) return false;
  }
  // The line ends in " ns" after a digit run.
  if (nl - 3 < commStart || b[nl - 3] !== 0x20 || b[nl - 2] !== 0x6e || b[nl - 1] !== 0x73) return false;
  const lastEnd = nl - 3;
  let lastStart = lastEnd;
  while (lastStart > commStart && isDigit(b[lastStart - 1])) lastStart--;
  if (lastStart === lastEnd) return false;
  let tsStart: number;
  let tsEnd: number;
  if (litAt(b, lastStart - FREE_TS.length, len, FREE_TS)) {
    const e = lastStart - FREE_TS.length; // the ts's " ns" ends here
    if (e - 3 < commStart || b[e - 3] !== 0x20 || b[e - 2] !== 0x6e || b[e - 1] !== 0x73) return false;
    tsEnd = e - 3;
    tsStart = tsEnd;
    while (tsStart > commStart && isDigit(b[tsStart - 1])) tsStart--;
    if (tsStart === tsEnd) return false;
    h.hasFreeTs = true;
    h.freeTs = u64At(b, lastStart, lastEnd);
  } else {
    tsStart = lastStart;
    tsEnd = lastEnd;
    h.hasFreeTs = false;
  }
  const commEnd = tsStart - TS.length;
  if (commEnd < commStart || !litAt(b, commEnd, len, TS)) return false;
  // A comm containing "ts" could move what the C regexes find: the slow path decides then.
  for (let k = commStart; k + 1 < commEnd; k++) if (b[k] === 0x74 && b[k + 1] === 0x73) return false;
  h.pageNum = orderEnd - orderStart <= 2 ? pageNumOfValue(intAt(b, orderStart, orderEnd)) : pageNumOf(b.toString("latin1", orderStart, orderEnd));
  h.pid = intAt(b, pidStart, pidEnd);
  h.tgid = intAt(b, tgidStart, tgidEnd);
  h.commStart = commStart;
  h.commEnd = commEnd;
  h.ts = u64At(b, tsStart, tsEnd);
  h.tsStart = tsStart;
  h.tsEnd = tsEnd;
  h.lineEnd = nl;
  return true;
}

function pageNumOfValue(order: number): number {
  return order > 64 ? 0 : 1 << order;
}
