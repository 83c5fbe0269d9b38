/**
 * A page_owner dump (/sys/kernel/debug/page_owner, mm/page_owner.c read_page_owner) read into
 * struct-of-arrays records: one slot per allocation, stacks deduplicated into a @mm/stackdepot
 * StackStore. Parsing is @mm/page-owner's PageOwnerParser; this file adds what an import must
 * refuse: a truncated file, records that contradict themselves (Block vs PFN, misaligned PFN,
 * unknown migratetype), and counts what `lenient` skipped.
 */
import { gunzipSync } from "node:zlib";
import { MAX_PAGE_ORDER, MIGRATETYPE_NAMES, MmError, PAGEBLOCK_ORDER } from "@mm/api";
import { isGzip, PageOwnerParser, type PageOwnerRecord, type ParseIssue } from "@mm/page-owner";
import { createStackStore, type StackStore } from "@mm/stackdepot";

/** Why a record or line was skipped under `lenient` (page_owner parser codes plus the import's own). */
export type SkipReason = ParseIssue["code"] | "TRUNCATED" | "BAD_BLOCK" | "MISALIGNED" | "BAD_ORDER" | "BAD_MIGRATETYPE";

/** The records of a dump; index i is the i-th accepted record in file order. */
export interface DumpRecords {
  readonly count: number;
  readonly pfn: Int32Array;
  readonly order: Uint8Array;
  readonly gfp: Uint32Array;
  /** Migratetype of the gfp, as the PFN line printed it (`PFN ... type X`). */
  readonly mt: Uint8Array;
  /** The pageblock's migratetype at dump time (`Block N type X`). */
  readonly blockMt: Uint8Array;
  readonly pid: Int32Array;
  readonly tgid: Int32Array;
  /** Index into `comms`. */
  readonly comm: Uint32Array;
  /** `ts` ns. */
  readonly ts: BigUint64Array;
  /** `free_ts` ns (6.1 format; 0 where not printed). */
  readonly freeTs: BigUint64Array;
  /** StackStore handle of the allocation stack. */
  readonly handle: Uint32Array;
  /** 1-based line of the record's header. */
  readonly line: Uint32Array;
  readonly comms: readonly string[];
  readonly stacks: StackStore;
  /** "6.1": decimal PFN with free_ts; "6.12": hex PFN, no free_ts (6.7+); "mixed"/"other" otherwise. */
  readonly format: "6.1" | "6.12" | "mixed" | "other";
  /** Bytes read (uncompressed). */
  readonly bytes: number;
  /** Lines of the file. */
  readonly lines: number;
  /** What `lenient` skipped, by reason, with the first line of each. */
  readonly skipped: Readonly<Partial<Record<SkipReason, { count: number; firstLine: number }>>>;
  /** Lines kept although unexpected (UNEXPECTED_LINE): not skips, the record stays. */
  readonly warnings: number;
}

/** Options of {@link readDump}. */
export interface ReadDumpOptions {
  /** Skip and count bad records instead of throwing. @defaultValue false */
  readonly lenient?: boolean;
  /** pageblock_order, to check `Block N` against the PFN. @defaultValue 9 */
  readonly pageblockOrder?: number;
  /** Largest order accepted. @defaultValue 10 (MAX_PAGE_ORDER) */
  readonly maxOrder?: number;
}

const MT_BY_NAME = new Map(MIGRATETYPE_NAMES.map((n, i) => [n, i]));

/** Growable SoA columns. */
class Columns {
  cap = 1 << 14;
  n = 0;
  pfn = new Int32Array(this.cap);
  order = new Uint8Array(this.cap);
  gfp = new Uint32Array(this.cap);
  mt = new Uint8Array(this.cap);
  blockMt = new Uint8Array(this.cap);
  pid = new Int32Array(this.cap);
  tgid = new Int32Array(this.cap);
  comm = new Uint32Array(this.cap);
  ts = new BigUint64Array(this.cap);
  freeTs = new BigUint64Array(this.cap);
  handle = new Uint32Array(this.cap);
  line = new Uint32Array(this.cap);

  grow(): void {
    const cap = this.cap * 2;
    const g = <T extends Int32Array | Uint8Array | Uint32Array | BigUint64Array>(a: T, C: new (n: number) => T): T => {
      const b = new C(cap);
      b.set(a as never);
      return b;
    };
    this.pfn = g(this.pfn, Int32Array);
    this.order = g(this.order, Uint8Array);
    this.gfp = g(this.gfp, Uint32Array);
    this.mt = g(this.mt, Uint8Array);
    this.blockMt = g(this.blockMt, Uint8Array);
    this.pid = g(this.pid, Int32Array);
    this.tgid = g(this.tgid, Int32Array);
    this.comm = g(this.comm, Uint32Array);
    this.ts = g(this.ts, BigUint64Array);
    this.freeTs = g(this.freeTs, BigUint64Array);
    this.handle = g(this.handle, Uint32Array);
    this.line = g(this.line, Uint32Array);
    this.cap = cap;
  }
}

/** Dump bytes (gzip detected by magic) -> records. */
export function readDumpBytes(raw: Uint8Array, options: ReadDumpOptions = {}): DumpRecords {
  const buf = isGzip(raw) ? gunzipSync(raw) : raw;
  return readDumpText(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString("latin1"), options);
}

/**
 * Parse a dump held as a latin1 string (one char per byte).
 * @throws MmError PARSE_ERROR with `{ file: "page_owner", line, issue }` for the first bad part,
 *   unless `lenient`.
 */
export function readDumpText(text: string, options: ReadDumpOptions = {}): DumpRecords {
  const lenient = options.lenient === true;
  const pbOrder = options.pageblockOrder ?? PAGEBLOCK_ORDER;
  const maxOrder = options.maxOrder ?? MAX_PAGE_ORDER;
  const c = new Columns();
  const stacks = createStackStore({ maxFrames: 64 });
  const byText = new Map<string, number>();
  const comms: string[] = [];
  const commIds = new Map<string, number>();
  const skipped: Partial<Record<SkipReason, { count: number; firstLine: number }>> = {};
  let warnings = 0;
  let hex = 0;
  let dec = 0;
  let withFreeTs = 0;
  let lastLine = 0;

  const fail = (reason: SkipReason, line: number, message: string): void => {
    if (!lenient) throw new MmError("PARSE_ERROR", `page_owner line ${line}: ${message}`, { file: "page_owner", line, issue: reason });
    const s = skipped[reason];
    if (s === undefined) skipped[reason] = { count: 1, firstLine: line };
    else s.count++;
  };

  const onRecord = (r: PageOwnerRecord, framesText: string): void => {
    lastLine = r.line;
    if (r.order > maxOrder) return fail("BAD_ORDER", r.line, `order ${r.order} above the largest order ${maxOrder}`);
    if (r.pfn % 2 ** r.order !== 0) return fail("MISALIGNED", r.line, `PFN ${r.pfn} is not aligned to its order ${r.order}`);
    if (Math.floor(r.pfn / 2 ** pbOrder) !== r.block)
      return fail("BAD_BLOCK", r.line, `Block ${r.block} does not hold PFN ${r.pfn} (pageblock order ${pbOrder})`);
    const mt = r.migratetype === null ? undefined : MT_BY_NAME.get(r.migratetype);
    const bmt = MT_BY_NAME.get(r.blockMigratetype);
    if (mt === undefined || bmt === undefined)
      return fail("BAD_MIGRATETYPE", r.line, `unknown migratetype in "type ${r.migratetype} Block ${r.block} type ${r.blockMigratetype}"`);
    if (c.n === c.cap) c.grow();
    const i = c.n++;
    c.pfn[i] = r.pfn;
    c.order[i] = r.order;
    c.gfp[i] = r.gfp;
    c.mt[i] = mt;
    c.blockMt[i] = bmt;
    c.pid[i] = r.pid ?? 0;
    c.tgid[i] = r.tgid ?? 0;
    const comm = r.comm ?? "";
    let ci = commIds.get(comm);
    if (ci === undefined) {
      ci = comms.length;
      comms.push(comm);
      commIds.set(comm, ci);
    }
    c.comm[i] = ci;
    c.ts[i] = r.tsNs ?? 0n;
    c.freeTs[i] = r.freeTsNs ?? 0n;
    if (r.freeTsNs !== null) withFreeTs++;
    if (r.pfnHex) hex++;
    else dec++;
    let h = byText.get(framesText);
    if (h === undefined) {
      h = stacks.save(framesText.length === 0 ? [] : framesText.slice(1).split("\n "));
      byText.set(framesText, h);
    }
    c.handle[i] = h;
    c.line[i] = r.line;
  };

  const parser = new PageOwnerParser(onRecord, {
    strict: !lenient,
    onIssue: (issue) => {
      if (issue.code === "UNEXPECTED_LINE") warnings++;
      else if (lenient) fail(issue.code, issue.line, issue.message);
    },
  }, true);
  try {
    parser.push(text);
    parser.end();
  } catch (e) {
    if (e instanceof MmError && e.code === "PARSE_ERROR" && e.detail?.file === undefined) {
      const line = Number(e.detail?.line ?? 0);
      throw new MmError("PARSE_ERROR", `page_owner ${e.message.replace(/^PARSE_ERROR: /, "")}`, { file: "page_owner", line, issue: String(e.detail?.issue ?? "") });
    }
    throw e;
  }
  // Every record ends with a blank line (print_page_owner's final "\n"): a file that does not end
  // in "\n\n" was cut, and its last record's stack may be cut with it.
  let lines = 0;
  for (let at = text.indexOf("\n"); at !== -1; at = text.indexOf("\n", at + 1)) lines++;
  if (text.length > 0 && !text.endsWith("\n")) lines++;
  if (text.length > 0 && !text.endsWith("\n\n")) {
    if (c.n > 0 && c.line[c.n - 1] === lastLine) {
      fail("TRUNCATED", lastLine, `the dump ends inside the record starting here (no blank line after it): truncated file?`);
      c.n--; // lenient: that record is dropped, its stack may be cut
    } else {
      fail("TRUNCATED", lines, "the dump does not end with a blank line: truncated file?");
    }
  }
  if (c.n === 0 && !lenient) throw new MmError("PARSE_ERROR", "page_owner line 1: no page_owner records", { file: "page_owner", line: 1 });
  const format = hex === 0 && dec > 0 && withFreeTs === dec ? "6.1" : dec === 0 && hex > 0 && withFreeTs === 0 ? "6.12" : hex > 0 && dec > 0 ? "mixed" : "other";
  return {
    count: c.n,
    pfn: c.pfn.subarray(0, c.n),
    order: c.order.subarray(0, c.n),
    gfp: c.gfp.subarray(0, c.n),
    mt: c.mt.subarray(0, c.n),
    blockMt: c.blockMt.subarray(0, c.n),
    pid: c.pid.subarray(0, c.n),
    tgid: c.tgid.subarray(0, c.n),
    comm: c.comm.subarray(0, c.n),
    ts: c.ts.subarray(0, c.n),
    freeTs: c.freeTs.subarray(0, c.n),
    handle: c.handle.subarray(0, c.n),
    line: c.line.subarray(0, c.n),
    comms,
    stacks,
    format,
    bytes: text.length,
    lines,
    skipped,
    warnings,
  };
}
