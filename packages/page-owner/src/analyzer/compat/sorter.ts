// page_owner_sort's add_list(), is_need(), the two qsorts and the output loop.
//
// The C tool keeps every block in an array, sorts it by the cull condition, merges equal
// neighbours and sorts again. Sorting by a consistent order and merging neighbours is the same as
// grouping with a hash map (first block of each group in input order = the representative, counts
// summed) and then sorting the distinct groups, so that is what we do: memory grows with the number
// of distinct groups, not with the dump. The second sort, whose ties and non-transitive comparators
// (compare_ts never returns 0) shape the output, runs glibc's exact merge sort.

import {
  CMP_ALLOCATOR,
  CMP_COMM,
  CMP_FREE_TS,
  CMP_NUM,
  CMP_PAGE_NUM,
  CMP_PID,
  CMP_STACKTRACE,
  CMP_TGID,
  CMP_TS,
  CMP_TXT,
  CULL_ALLOCATOR,
  CULL_MEMCG,
  CULL_COMM,
  CULL_PID,
  CULL_STACKTRACE,
  CULL_TGID,
  CULL_UNRELEASE,
  FILTER_COMM,
  FILTER_PID,
  FILTER_TGID,
  FILTER_UNRELEASE,
  type CompatConfig,
  type CompatEra,
} from "./config.js";
import {
  ALLOCATOR_CMA,
  ALLOCATOR_OTHERS,
  ALLOCATOR_SLAB,
  allocatorNames,
  type DebugSink,
  formatAllocator,
  getAllocator,
  getComm,
  getFreeTsNsec,
  getPageNum,
  getPid,
  getTgid,
  getTsNsec,
  HeaderBytes,
  type HeaderFields,
  intOf,
  parseHeaderBytes,
  pageNumOf,
  removeTsDigits,
  standardHeader,
  u64Of,
  type U64,
} from "./fields.js";
import { glibcQsort } from "../internal/libc.js";
import { BUF_SIZE } from "./reader.js";
import { EntryLog } from "./entry-log.js";
import { formatMemcg, memcgKey, memcgTrailer, type MemcgTrailer } from "./memcg.js";

/** One output element: a merged `struct block_list`. */
export interface CompatGroup {
  /** Block text (PFN line removed; ts digits removed by the 6.7+ tool unless -a). */
  readonly txt: string;
  readonly pid: number;
  readonly tgid: number;
  readonly comm: string;
  readonly tsNsec: U64;
  /** 6.1 only; (u64)-1 when absent. */
  readonly freeTsNsec: U64;
  readonly allocator: number;
  /** Blocks merged into this element ("times"). */
  num: number;
  /** Sum of 1 << order over them ("pages"). */
  pageNum: number;
}

/** Where the tool's progress and diagnostics go. */
export interface CompatIo {
  /** stdout text ("loaded %d\r" every 1000 blocks). */
  readonly stdout: (s: string) => void;
  /** stderr text ("max_size too small??", -d messages). */
  readonly stderr: (s: string) => void;
}

/** Text after the first newline of a block, as `strchr(txt, '\n') + 1` (or ""). */
export function stacktraceOf(txt: string): string {
  const nl = txt.indexOf("\n");
  return nl === -1 ? "" : txt.slice(nl + 1);
}

function strcmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isZero(v: U64): boolean {
  return v === 0 || v === 0n;
}

/**
 * One compare_* function by id; C int arithmetic (differences wrap).
 *
 * compare_ts: the 6.1 tool returns `a < b ? -1 : 1`, never 0, so glibc's merge sort puts equal
 * timestamps right-run first (the 6.1 references 07-a and 09-r/23-sort-free_ts, full of equal
 * free_ts, depend on it). The 6.12 reference 07-a only matches when equal timestamps keep their
 * order (a comparator that answers <= 0 for ties); in 6.12 a --sort list never survives, so a
 * tie answer of 0 and of -1 cannot be told apart, and we use 0.
 */
function compareBy(id: number, a: CompatGroup, b: CompatGroup, era: CompatEra): number {
  switch (id) {
    case CMP_TXT:
      return strcmp(a.txt, b.txt);
    case CMP_STACKTRACE:
      return strcmp(stacktraceOf(a.txt), stacktraceOf(b.txt));
    case CMP_NUM:
      return (a.num - b.num) | 0;
    case CMP_PAGE_NUM:
      return (a.pageNum - b.pageNum) | 0;
    case CMP_PID:
      return (a.pid - b.pid) | 0;
    case CMP_TGID:
      return (a.tgid - b.tgid) | 0;
    case CMP_COMM:
      return strcmp(a.comm, b.comm);
    case CMP_TS:
      if (era === "6.1") return a.tsNsec < b.tsNsec ? -1 : 1;
      return a.tsNsec < b.tsNsec ? -1 : a.tsNsec > b.tsNsec ? 1 : 0;
    case CMP_FREE_TS:
      return a.freeTsNsec < b.freeTsNsec ? -1 : 1;
    case CMP_ALLOCATOR:
      return (a.allocator - b.allocator) | 0;
    default:
      return 0;
  }
}

/** compare_release() (6.1 --cull=free). */
function compareRelease(a: CompatGroup, b: CompatGroup): number {
  const za = isZero(a.freeTsNsec);
  const zb = isZero(b.freeTsNsec);
  if (za === zb) return 0;
  return za ? -1 : 1;
}

/** compare_cull_condition(). */
function compareCull(cull: number, a: CompatGroup, b: CompatGroup): number {
  if (cull === 0) return strcmp(a.txt, b.txt);
  let r: number;
  if (cull & CULL_STACKTRACE && (r = compareBy(CMP_STACKTRACE, a, b, "6.1")) !== 0) return r;
  if (cull & CULL_PID && (r = compareBy(CMP_PID, a, b, "6.1")) !== 0) return r;
  if (cull & CULL_TGID && (r = compareBy(CMP_TGID, a, b, "6.1")) !== 0) return r;
  if (cull & CULL_COMM && (r = compareBy(CMP_COMM, a, b, "6.1")) !== 0) return r;
  if (cull & CULL_UNRELEASE && (r = compareRelease(a, b)) !== 0) return r;
  if (cull & CULL_ALLOCATOR && (r = compareBy(CMP_ALLOCATOR, a, b, "6.1")) !== 0) return r;
  if (cull & CULL_MEMCG && (r = strcmp(memcgKey(a.txt), memcgKey(b.txt))) !== 0) return r;
  return 0;
}

/** Loads blocks (add_list) and produces the tool's sorted, merged list. */
export class CompatSorter {
  /** list_size: blocks kept (6.1: after merging identical neighbours). What "loaded %d" prints. */
  listSize = 0;
  /** The block array filled up ("max_size too small??"): the tool stops without any output. */
  overflowed = false;
  /** Distinct groups, in first-seen order. */
  private readonly groups: CompatGroup[] = [];
  private readonly index = new Map<string, CompatGroup>();
  /** 6.1: text of the last kept block and its group, for the merge-while-loading check. */
  private lastTxt: string | null = null;
  private lastGroup: CompatGroup | null = null;
  /** The key of the last block inserted and its group (a one-entry cache in front of index). */
  private lastKey: string | null = null;
  private lastKeyGroup: CompatGroup | undefined = undefined;
  /**
   * The same key as bytes, for addBlock(): 6.7+ without the entry log, culled by text without
   * the ts digits or by stack only (keys that are one byte range of the block); else null.
   * Length -1: no valid key.
   */
  private readonly prevKey: Buffer | null;
  private prevKeyLen = -1;
  /** Where the previous key's ts digits were (-1: the header must be parsed), and its pages. */
  private prevTsStart = -1;
  private prevPageNum = 0;
  private readonly debug: DebugSink;
  private readonly stripTs: boolean;
  /** The list itself, when the cull comparators can overflow (see entry-log.ts). */
  private readonly log: EntryLog | null;

  /**
   * @param maxSize - the tool's `st_size / 100` capacity; Infinity when the input is not a
   *   regular file (a pipe's st_size is 0, which would load nothing).
   */
  constructor(
    private readonly cfg: CompatConfig,
    private readonly io: CompatIo,
    private readonly maxSize: number,
  ) {
    this.debug = cfg.debug ? (m: string) => io.stderr(m) : null;
    this.stripTs = cfg.era === "6.12" && cfg.sortCmps[0] !== CMP_TS;
    this.log = EntryLog.forConfig(cfg);
    // Not for -a's whole-text key: with its timestamps, neighbours almost never repeat, and the
    // compare and copy would be paid on every block for nothing.
    this.prevKey =
      cfg.era !== "6.1" && this.log === null && ((cfg.cull === 0 && this.stripTs) || cfg.cull === CULL_STACKTRACE)
        ? Buffer.allocUnsafe(BUF_SIZE)
        : null;
  }

  /** The header of the block being added (reused). */
  private readonly hdr = new HeaderBytes();

  /**
   * add_list() of the block in `b[0, len)` (a CompatBlockReader sink; `b` may be overwritten).
   * A standard header is parsed from the bytes and only the strings a group keeps are made;
   * anything else goes through add() and the C tool's regexes.
   */
  addBlock(b: Buffer, len: number, extBits: number, mayHaveVmalloc: boolean): boolean {
    const cfg = this.cfg;
    const h = this.hdr;
    const era61 = cfg.era === "6.1";
    if (this.prevTsStart >= 0 && this.listSize !== this.maxSize && this.sameAsPrevious(b, len)) return this.hit(this.prevPageNum);
    // A 6.7+ header has no "ns," for the 6.1 ts pattern: the slow path finds what it finds.
    if (this.debug !== null || !parseHeaderBytes(b, len, h) || (era61 && !h.hasFreeTs)) {
      return this.add(b.toString("latin1", 0, len), extBits, mayHaveVmalloc);
    }
    let content: string | null = null;
    if (era61) {
      content = b.toString("latin1", 0, len);
      if (this.listSize !== 0 && content === this.lastTxt) return this.mergeLast(h.pageNum);
    }
    if (this.listSize === this.maxSize) return this.overflow();
    const tsNsec = h.ts;
    let freeTsNsec: U64 = -1;
    if (era61) {
      freeTsNsec = h.freeTs;
      if (cfg.filter & FILTER_UNRELEASE && !isZero(freeTsNsec) && tsNsec < freeTsNsec) return true;
    }
    if (cfg.filter & FILTER_PID && !cfg.pids.includes(h.pid)) return true;
    if (cfg.filter & FILTER_TGID && !cfg.tgids.includes(h.tgid)) return true;
    let comm: string | null = null;
    if (cfg.filter & FILTER_COMM && !cfg.comms.includes((comm = b.toString("latin1", h.commStart, h.commEnd)))) return true;
    let allocator = extBits & (ALLOCATOR_CMA | ALLOCATOR_SLAB);
    if (mayHaveVmalloc) allocator = getAllocator(content ?? b.toString("latin1", 0, len), extBits, true);
    else if (allocator === 0) allocator = ALLOCATOR_OTHERS;
    let txtLen = len;
    let lineEnd = h.lineEnd;
    if (this.stripTs) {
      // remove_pattern(): the ts digits leave the text in place.
      b.copyWithin(h.tsStart, h.tsEnd, len);
      txtLen -= h.tsEnd - h.tsStart;
      lineEnd -= h.tsEnd - h.tsStart;
    }
    if (this.prevKey !== null) {
      // The one-entry cache on bytes: a block whose key equals the previous block's (most of a
      // real dump) costs one memcmp, no string and no hash.
      const ks = cfg.cull === 0 ? 0 : lineEnd < txtLen ? lineEnd + 1 : txtLen;
      const kl = txtLen - ks;
      if (kl === this.prevKeyLen && b.compare(this.prevKey, 0, kl, ks, txtLen) === 0) return this.hit(h.pageNum);
      const txt = b.toString("latin1", 0, txtLen);
      comm ??= b.toString("latin1", h.commStart, h.commEnd);
      const r = this.insert(txt, txt, h.pid, h.tgid, comm, tsNsec, freeTsNsec, allocator, h.pageNum);
      b.copy(this.prevKey, 0, ks, txtLen);
      this.prevKeyLen = kl;
      // The default key is the whole text without the ts digits: see sameAsPrevious().
      if (cfg.cull === 0 && this.stripTs) {
        this.prevTsStart = h.tsStart;
        this.prevPageNum = h.pageNum;
      }
      return r;
    }
    const txt = content ?? b.toString("latin1", 0, txtLen);
    comm ??= b.toString("latin1", h.commStart, h.commEnd);
    return this.insert(content ?? txt, txt, h.pid, h.tgid, comm, tsNsec, freeTsNsec, allocator, h.pageNum);
  }

  /** The block joins the previous block's group (the one-entry cache hit). */
  private hit(pageNum: number): boolean {
    const g = this.lastKeyGroup!;
    g.num = (g.num + 1) | 0;
    g.pageNum = (g.pageNum + pageNum) | 0;
    this.lastGroup = g;
    this.listSize++;
    if (this.listSize % 1000 === 0) this.io.stdout(`loaded ${this.listSize}\r`);
    return true;
  }

  /**
   * The 6.7+ default key without parsing the header: the block is the previous key with some
   * digits where the previous block's ts digits were. The previous header was a standard one and
   * this one differs only inside that maximal digit run ([0-9]+ either way, ' ' on both sides), so
   * every field the C regexes find, the filters it passed and its page count are the same.
   */
  private sameAsPrevious(b: Buffer, len: number): boolean {
    const p = this.prevTsStart;
    let q = p;
    while (q < len && b[q] >= 0x30 && b[q] <= 0x39) q++;
    const kl = this.prevKeyLen;
    return q > p && len - (q - p) === kl && b.compare(this.prevKey!, 0, p, 0, p) === 0 && b.compare(this.prevKey!, p, kl, q, len) === 0;
  }

  /** 6.1's merge of a byte-identical neighbour into the last kept block. */
  private mergeLast(pages: number): boolean {
    const g = this.lastGroup!;
    g.num = (g.num + 1) | 0;
    g.pageNum = (g.pageNum + pages) | 0;
    this.log?.bumpLast(pages);
    return true;
  }

  /** The block array is full: "max_size too small??", and reading stops. */
  private overflow(): boolean {
    this.io.stderr("max_size too small??\n");
    this.overflowed = true;
    return false;
  }

  /** add_list(): false means "stop reading" (the capacity hack ran out). */
  add(content: string, extBits: number, mayHaveVmalloc = true): boolean {
    const cfg = this.cfg;
    const debug = this.debug;
    // The C functions see `buf`, the block plus the blank line's "\n". Every pattern ends in a
    // literal other than "\n", so that newline never changes a match: only -d messages show it.
    const buf = debug === null ? content : content + "\n";
    if (cfg.era === "6.1" && this.listSize !== 0 && content === this.lastTxt) return this.mergeLast(getPageNum(buf, debug));
    if (this.listSize === this.maxSize) return this.overflow();
    if (debug === null) {
      const h = standardHeader(content);
      // A 6.7+ header has no "ns," for the 6.1 ts pattern: the slow path finds what it finds.
      if (h !== null && (cfg.era !== "6.1" || h.freeTs !== undefined)) return this.addFast(content, extBits, h, mayHaveVmalloc);
    }
    // Without -d the get_* helpers are pure, so each is computed once; with -d they run as often
    // as in C, so the messages repeat as they would.
    let pid: number | undefined;
    let tgid: number | undefined;
    let comm: string | undefined;
    let tsNsec: U64 | undefined;
    let freeTsNsec: U64 | undefined;
    const memo = debug === null;
    if (cfg.era === "6.1") {
      tsNsec = getTsNsec(buf, debug, cfg.era === "6.1");
      freeTsNsec = getFreeTsNsec(buf, debug);
      if (cfg.filter & FILTER_UNRELEASE && !isZero(freeTsNsec) && tsNsec < freeTsNsec) return true;
    }
    if (cfg.filter & FILTER_PID && !cfg.pids.includes((pid = getPid(buf, debug)))) return true;
    if (cfg.filter & FILTER_TGID && !cfg.tgids.includes((tgid = getTgid(buf, debug)))) return true;
    comm = getComm(buf, debug);
    if (cfg.filter & FILTER_COMM && !cfg.comms.includes(comm)) return true;
    if (!memo || pid === undefined) pid = getPid(buf, debug);
    if (!memo || tgid === undefined) tgid = getTgid(buf, debug);
    if (!memo) comm = getComm(buf, debug);
    const txt = this.stripTs ? removeTsDigits(content) : content;
    const pageNum = getPageNum(buf, debug);
    if (!memo || tsNsec === undefined) tsNsec = getTsNsec(buf, debug, cfg.era === "6.1");
    if (cfg.era === "6.1") {
      if (!memo || freeTsNsec === undefined) freeTsNsec = getFreeTsNsec(buf, debug);
    } else {
      freeTsNsec = -1;
    }
    const allocator = getAllocator(buf, extBits, mayHaveVmalloc);

    return this.insert(content, txt, pid, tgid, comm, tsNsec, freeTsNsec, allocator, pageNum);
  }

  /** add_list() for a standard header (see standardHeader): same results, one regex. */
  private addFast(content: string, extBits: number, h: HeaderFields, mayHaveVmalloc: boolean): boolean {
    const cfg = this.cfg;
    const tsNsec = u64Of(h.ts);
    let freeTsNsec: U64 = -1;
    if (cfg.era === "6.1") {
      freeTsNsec = h.freeTs === undefined ? getFreeTsNsec(content, null) : u64Of(h.freeTs);
      if (cfg.filter & FILTER_UNRELEASE && !isZero(freeTsNsec) && tsNsec < freeTsNsec) return true;
    }
    const pid = intOf(h.pid);
    if (cfg.filter & FILTER_PID && !cfg.pids.includes(pid)) return true;
    const tgid = intOf(h.tgid);
    if (cfg.filter & FILTER_TGID && !cfg.tgids.includes(tgid)) return true;
    if (cfg.filter & FILTER_COMM && !cfg.comms.includes(h.comm)) return true;
    const txt = this.stripTs ? content.slice(0, h.tsStart) + content.slice(h.tsStart + h.ts.length) : content;
    const allocator = getAllocator(content, extBits, mayHaveVmalloc);
    return this.insert(content, txt, pid, tgid, h.comm, tsNsec, freeTsNsec, allocator, pageNumOf(h.order));
  }

  /** The tail of add_list(): the block joins its group (the cull key's). */
  private insert(
    content: string,
    txt: string,
    pid: number,
    tgid: number,
    comm: string,
    tsNsec: U64,
    freeTsNsec: U64,
    allocator: number,
    pageNum: number,
  ): boolean {
    const key = this.keyOf(txt, pid, tgid, comm, freeTsNsec, allocator);
    // Runs of equal blocks are common (most of the real capture): comparing with the previous
    // key is a memcmp, a Map lookup hashes the whole block text first.
    let g = key === this.lastKey ? this.lastKeyGroup : this.index.get(key);
    if (this.log !== null) this.log.push(key, { txt, pid, tgid, comm, tsNsec, freeTsNsec, allocator, num: 1, pageNum }, pageNum);
    if (g === undefined) {
      g = { txt, pid, tgid, comm, tsNsec, freeTsNsec, allocator, num: 1, pageNum };
      this.index.set(key, g);
      this.groups.push(g);
    } else {
      g.num = (g.num + 1) | 0;
      g.pageNum = (g.pageNum + pageNum) | 0;
    }
    this.lastTxt = content;
    this.lastGroup = g;
    this.lastKey = key;
    this.lastKeyGroup = g;
    this.prevKeyLen = -1;
    this.prevTsStart = -1;
    this.prevPageNum = 0;
    this.listSize++;
    if (this.listSize % 1000 === 0) this.io.stdout(`loaded ${this.listSize}\r`);
    return true;
  }

  /** The identity compare_cull_condition() sees: equal keys compare 0. */
  private keyOf(txt: string, pid: number, tgid: number, comm: string, freeTs: U64, allocator: number): string {
    const cull = this.cfg.cull;
    if (cull === 0) return txt;
    let key = "";
    if (cull & CULL_STACKTRACE) key += stacktraceOf(txt);
    if (cull & CULL_PID) key += `\0${pid}`;
    if (cull & CULL_TGID) key += `\0${tgid}`;
    if (cull & CULL_COMM) key += `\0${comm}`;
    if (cull & CULL_UNRELEASE) key += isZero(freeTs) ? "\0r" : "\0u";
    if (cull & CULL_ALLOCATOR) key += `\0${allocator}`;
    if (cull & CULL_MEMCG) key += `\0${memcgKey(txt)}`;
    return key;
  }

  /** The two sorts: by cull condition (merging), then by the sort condition. */
  finish(): CompatGroup[] {
    const cull = this.cfg.cull;
    const merged =
      this.log !== null && this.log.overflows
        ? this.log.mergedList((a, b) => compareCull(cull, a, b))
        : this.groups.slice().sort((a, b) => compareCull(cull, a, b));
    const cmps = this.cfg.sortCmps;
    const signs = this.cfg.sortSigns;
    const era = this.cfg.era;
    const order = new Int32Array(merged.length);
    for (let i = 0; i < order.length; i++) order[i] = i;
    if (cmps.length > 0) {
      glibcQsort(order, (ia, ib) => {
        const a = merged[ia];
        const b = merged[ib];
        let cmp = 0;
        for (let i = 0; i < cmps.length; i++) if (cmp === 0) cmp = Math.imul(signs[i], compareBy(cmps[i], a, b, era));
        return cmp;
      });
    }
    const out = new Array<CompatGroup>(order.length);
    for (let i = 0; i < order.length; i++) out[i] = merged[order[i]];
    return out;
  }
}

/** The output loop of main(): one element's text. */
export function formatCompatGroup(cfg: CompatConfig, g: CompatGroup): string {
  const cull = cfg.cull;
  if (cull === 0) return `${g.num} times, ${g.pageNum} pages, ${formatAllocator(g.allocator)}:\n${g.txt}\n`;
  let s = `${g.num} times, ${g.pageNum} pages`;
  if (cull & CULL_PID || cfg.filter & FILTER_PID) s += `, PID ${g.pid}`;
  if (cull & CULL_TGID || cfg.filter & FILTER_TGID) s += `, TGID ${g.tgid}`;
  if (cull & CULL_COMM || cfg.filter & FILTER_COMM) s += `, task_comm_name: ${g.comm}`;
  if (cull & CULL_ALLOCATOR) s += `, ${formatAllocator(g.allocator)}`;
  if (cull & CULL_MEMCG) s += formatMemcg(g.txt);
  // Labels swapped in the C tool: a non-zero free_ts prints UNRELEASED.
  if (cull & CULL_UNRELEASE) s += ` (${isZero(g.freeTsNsec) ? "RELEASED" : "UNRELEASED"})`;
  if (cull & CULL_STACKTRACE) s += `:\n${stacktraceOf(g.txt)}`;
  return s + "\n";
}

/** A JSON-friendly view of one element (same grouping and order as the text output). */
export interface CompatGroupJson {
  times: number;
  pages: number;
  pid?: number;
  tgid?: number;
  comm?: string;
  allocatedBy?: string[];
  /** --memcg: the trailer lines' memcg. */
  memcg?: MemcgTrailer;
  /** --cull=free: whether free_ts is non-zero (the text output labels that "UNRELEASED"). */
  freeTsNonZero?: boolean;
  stacktrace?: string;
  text?: string;
  tsNsec?: string;
  freeTsNsec?: string;
}

/** The JSON counterpart of {@link formatCompatGroup}: the fields the text would show. */
export function compatGroupJson(cfg: CompatConfig, g: CompatGroup, decode: (s: string) => string): CompatGroupJson {
  const cull = cfg.cull;
  const out: CompatGroupJson = { times: g.num, pages: g.pageNum };
  if (cull === 0) {
    out.pid = g.pid;
    out.tgid = g.tgid;
    out.comm = decode(g.comm);
    out.allocatedBy = allocatorNames(g.allocator);
    out.tsNsec = g.tsNsec.toString();
    if (cfg.era === "6.1") out.freeTsNsec = g.freeTsNsec.toString();
    out.text = decode(g.txt);
    return out;
  }
  if (cull & CULL_PID || cfg.filter & FILTER_PID) out.pid = g.pid;
  if (cull & CULL_TGID || cfg.filter & FILTER_TGID) out.tgid = g.tgid;
  if (cull & CULL_COMM || cfg.filter & FILTER_COMM) out.comm = decode(g.comm);
  if (cull & CULL_ALLOCATOR) out.allocatedBy = allocatorNames(g.allocator);
  if (cull & CULL_MEMCG) out.memcg = memcgTrailer(decode(g.txt));
  if (cull & CULL_UNRELEASE) out.freeTsNonZero = !isZero(g.freeTsNsec);
  if (cull & CULL_STACKTRACE) out.stacktrace = decode(stacktraceOf(g.txt));
  return out;
}
