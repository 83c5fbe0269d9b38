// Streaming parser for /sys/kernel/debug/page_owner text (mm/page_owner.c print_page_owner), all
// eras of kernel-spec §4.7: decimal or hex PFN, with or without pid / tgid+comm / free_ts, the
// migrate-reason line, the memcg `Slab cache page` / `Charged ...` lines, and the 3.19–4.5 format.
// Input arrives in chunks of any size; memory is one line plus one record.

import { MmError } from "@mm/api";
import type { MemcgCharge, PageOwnerRecord, ParseIssue, ParseIssueCode, ParseOptions } from "./api.js";

const HEADER = "Page allocated via order ";
const MIGRATED = "Page has been migrated, last migrate reason: ";
/** dump_page_owner() spelling, accepted too. */
const MIGRATED_LC = "page has been migrated, last migrate reason: ";
const SLAB = "Slab cache page";
/** v4.6+: `PFN %lu|0x%lx type %s Block %lu type %s Flags %#lx(%pGp)` */
const PFN_RE = /^PFN (0x[0-9a-fA-F]+|[0-9]+) type (\S+) Block ([0-9]+) type (\S+) Flags (0x[0-9a-fA-F]+|[0-9]+)\((.*)\)$/;
/** v3.19–4.5: `PFN %lu Block %lu type %d %s Flags %s%s...` ("Fallback" or 8 spaces). */
const PFN_OLD_RE = /^PFN ([0-9]+) Block ([0-9]+) type ([0-9]+) (Fallback| {8}) Flags (.*)$/;
const MEMCG_RE = /^Charged (\(via objcg\) )?to (offline )?memcg (.*)$/;
const HIGH_BYTES = /[\x80-\xff]/;
const MIGRATETYPES = ["Unmovable", "Movable", "Reclaimable", "HighAtomic", "CMA", "Isolate"];
const U64_MAX = 0xffff_ffff_ffff_ffffn;
const INT_MAX = 0x7fff_ffff;

/** Lines are kept as latin1 strings; text fields are re-decoded as UTF-8 when they hold high bytes. */
function utf8(s: string): string {
  return HIGH_BYTES.test(s) ? Buffer.from(s, "latin1").toString("utf8") : s;
}

/** Header fields, filled by parseHeader(). */
interface Header {
  order: number;
  gfp: number;
  gfpNames: string | null;
  pid: number | null;
  tgid: number | null;
  comm: string | null;
  tsNs: bigint | null;
  freeTsNs: bigint | null;
}

/** Result of a field parse: a value, "bad" (format) or "range" (too large). */
type Fail = "bad" | "range";

/** Reads a run of decimal digits at s[i..]; returns the end index or -1. */
function digitsEnd(s: string, i: number): number {
  let j = i;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if (c < 48 || c > 57) break;
    j++;
  }
  return j === i ? -1 : j;
}

/** End of a run of hex digits at s[i..]. */
function hexEnd(s: string, i: number): number {
  let j = i;
  while (j < s.length) {
    const c = s.charCodeAt(j) | 0x20; // fold A-F to a-f (digits unaffected)
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) break;
    j++;
  }
  return j;
}

/** Decimal digits -> bigint (numbers first: BigInt(string) is the slow path). */
function toBig(s: string): bigint {
  return s.length <= 15 ? BigInt(Number(s)) : BigInt(s);
}

/** The 5.18+ header, all fields present: one native regex beats a hand parser. */
const MODERN_HEADER =
  /^Page allocated via order ([0-9]{1,2}), mask 0x([0-9a-fA-F]{1,8})\(([^)]*)\), pid ([0-9]{1,10}), tgid ([0-9]{1,10}) \((.*)\), ts ([0-9]{1,20}) ns(?:, free_ts ([0-9]{1,20}) ns)?$/;

function parseHeader(line: string): Header | Fail {
  const m = MODERN_HEADER.exec(line);
  if (m !== null) {
    const order = Number(m[1]);
    const pid = Number(m[4]);
    const tgid = Number(m[5]);
    if (order <= 63 && pid <= INT_MAX && tgid <= INT_MAX) {
      const ts = toBig(m[7]);
      const fts = m[8] === undefined ? null : toBig(m[8]);
      if (ts <= U64_MAX && (fts === null || fts <= U64_MAX)) {
        return { order, gfp: parseInt(m[2], 16) >>> 0, gfpNames: m[3], pid, tgid, comm: m[6], tsNs: ts, freeTsNs: fts };
      }
    }
    // out of range: the field-by-field parser below says which
  }
  return parseHeaderSlow(line);
}

/** Field by field, for every other era and for errors. */
function parseHeaderSlow(line: string): Header | Fail {
  let i = HEADER.length;
  let j = digitsEnd(line, i);
  if (j === -1) return "bad";
  if (j - i > 2) return "range";
  const order = Number(line.slice(i, j));
  if (order > 63) return "range";
  if (!line.startsWith(", mask 0x", j)) return "bad";
  i = j + 9;
  j = hexEnd(line, i);
  if (j === i) return "bad";
  if (j - i > 8) return "range";
  const gfp = parseInt(line.slice(i, j), 16) >>> 0;
  let gfpNames: string | null = null;
  if (line[j] === "(") {
    const close = line.indexOf(")", j);
    if (close === -1) return "bad";
    gfpNames = line.slice(j + 1, close);
    j = close + 1;
  }
  const h: Header = { order, gfp, gfpNames, pid: null, tgid: null, comm: null, tsNs: null, freeTsNs: null };
  if (j === line.length) return h; // v3.19–5.10
  if (line.startsWith(", pid ", j)) {
    i = j + 6;
    j = digitsEnd(line, i);
    if (j === -1) return "bad";
    const pid = Number(line.slice(i, j));
    if (pid > INT_MAX) return "range";
    h.pid = pid;
    if (line.startsWith(", tgid ", j)) {
      i = j + 7;
      j = digitsEnd(line, i);
      if (j === -1) return "bad";
      const tgid = Number(line.slice(i, j));
      if (tgid > INT_MAX) return "range";
      h.tgid = tgid;
      if (!line.startsWith(" (", j)) return "bad";
      // The comm may itself contain "), ts ": the last occurrence closes it.
      const close = line.lastIndexOf("), ts ");
      if (close < j + 2) return "bad";
      h.comm = line.slice(j + 2, close);
      j = close + 1;
    }
  }
  if (!line.startsWith(", ts ", j)) return "bad";
  i = j + 5;
  j = digitsEnd(line, i);
  if (j === -1 || !line.startsWith(" ns", j)) return "bad";
  const ts = toBig(line.slice(i, j));
  if (ts > U64_MAX) return "range";
  h.tsNs = ts;
  j += 3;
  if (j === line.length) return h; // 6.7+
  if (!line.startsWith(", free_ts ", j)) return "bad";
  i = j + 10;
  j = digitsEnd(line, i);
  if (j === -1 || !line.startsWith(" ns", j) || j + 3 !== line.length) return "bad";
  const fts = toBig(line.slice(i, j));
  if (fts > U64_MAX) return "range";
  h.freeTsNs = fts;
  return h;
}

/** PFN-line fields. */
interface PfnLine {
  pfn: number;
  pfnHex: boolean;
  migratetype: string | null;
  block: number;
  blockMigratetype: string;
  fallback: boolean;
  pageFlags: bigint | null;
  pageFlagNames: string;
}

/**
 * Hand parser for the v4.6+ PFN line; null when the line is not exactly that shape. Char codes and
 * startsWith only: a multi-char indexOf is a runtime call, several per line added up.
 */
function parsePfnFast(line: string): PfnLine | Fail | null {
  let i = 4; // after "PFN "
  const hex = line.charCodeAt(i) === 48 && line.charCodeAt(i + 1) === 120; // "0x"
  let j = hex ? hexEnd(line, i + 2) : digitsEnd(line, i);
  if (j === -1 || (hex && j === i + 2)) return null;
  const pfnStart = hex ? i + 2 : i;
  const pfnEnd = j;
  if (!line.startsWith(" type ", j)) return null;
  i = j + 6;
  // The type names hold no space: the first space must start " Block ".
  j = line.indexOf(" ", i);
  if (j <= i || !line.startsWith(" Block ", j)) return null;
  const migratetype = line.slice(i, j);
  i = j + 7;
  j = digitsEnd(line, i);
  if (j === -1 || !line.startsWith(" type ", j)) return null;
  const blockStart = i;
  const blockEnd = j;
  i = j + 6;
  j = line.indexOf(" ", i);
  if (j <= i || !line.startsWith(" Flags 0x", j)) return null;
  const blockMigratetype = line.slice(i, j);
  i = j + 9;
  j = hexEnd(line, i);
  if (j === i || line.charCodeAt(j) !== 40 || line.charCodeAt(line.length - 1) !== 41) return null;
  if (pfnEnd - pfnStart > 13 || blockEnd - blockStart > 15 || j - i > 16) return "range";
  const pfn = hex ? hexValue(line, pfnStart, pfnEnd) : decValue(line, pfnStart, pfnEnd);
  const block = decValue(line, blockStart, blockEnd);
  const flags = j - i <= 13 ? BigInt(hexValue(line, i, j)) : BigInt(`0x${line.slice(i, j)}`);
  return {
    pfn,
    pfnHex: hex,
    migratetype,
    block,
    blockMigratetype,
    fallback: false,
    pageFlags: flags,
    pageFlagNames: line.slice(j + 1, line.length - 1),
  };
}

/** Decimal digits s[i..j) (at most 15: exact in a double). */
function decValue(s: string, i: number, j: number): number {
  let v = 0;
  for (let k = i; k < j; k++) v = v * 10 + (s.charCodeAt(k) - 48);
  return v;
}

/** Hex digits s[i..j) (at most 13: exact in a double). */
function hexValue(s: string, i: number, j: number): number {
  let v = 0;
  for (let k = i; k < j; k++) {
    const c = s.charCodeAt(k) | 0x20;
    v = v * 16 + (c <= 57 ? c - 48 : c - 87);
  }
  return v;
}

function parsePfnLine(line: string): PfnLine | Fail {
  const fast = parsePfnFast(line);
  if (fast !== null) return fast;
  let m = PFN_RE.exec(line);
  if (m !== null) {
    const hex = m[1].startsWith("0x");
    const pfn = hex ? parseInt(m[1].slice(2), 16) : Number(m[1]);
    const block = Number(m[3]);
    if (!Number.isSafeInteger(pfn) || !Number.isSafeInteger(block)) return "range";
    const flags = BigInt(m[5]);
    if (flags > U64_MAX) return "range";
    return {
      pfn,
      pfnHex: hex,
      migratetype: m[2],
      block,
      blockMigratetype: m[4],
      fallback: false,
      pageFlags: flags,
      pageFlagNames: m[6],
    };
  }
  m = PFN_OLD_RE.exec(line);
  if (m !== null) {
    const pfn = Number(m[1]);
    const block = Number(m[2]);
    if (!Number.isSafeInteger(pfn) || !Number.isSafeInteger(block)) return "range";
    const mt = Number(m[3]);
    return {
      pfn,
      pfnHex: false,
      migratetype: null,
      block,
      blockMigratetype: MIGRATETYPES[mt] ?? m[3],
      fallback: m[4] === "Fallback",
      pageFlags: null,
      pageFlagNames: m[5],
    };
  }
  return "bad";
}

/**
 * Push parser: feed chunks with {@link push}, then call {@link end}. Each complete record goes to
 * `onRecord`; malformed input goes to `onIssue` (or throws, with `strict`).
 */
export class PageOwnerParser {
  /** Unfinished last line of the previous chunk. */
  private partial = "";
  /** The current line overflowed maxLineLength: drop bytes until its newline. */
  private skipping = false;
  private lineNo = 0;
  private readonly maxLine: number;
  /** The input has had bytes >= 0x80: text fields may need UTF-8 decoding. */
  private high = false;

  // The open record (recStart === 0: none).
  private recStart = 0;
  private header: Header | null = null;
  /** The open record is being skipped (bad header): swallow lines up to the blank line. */
  private recBad = false;
  private pfn: PfnLine | null = null;
  /** The record's frame lines as printed (leading space kept), joined by "\n"; "" for none. */
  private framesText = "";
  private migrateReason: string | null = null;
  private slabCache = false;
  private memcg: MemcgCharge | null = null;
  /** First line of a run of garbage outside records (0: none). */
  private garbageStart = 0;

  /** Records emitted so far. */
  records = 0;
  /** Issues reported so far. */
  issues = 0;

  /**
   * @param onRecord - gets each record, and its frame lines as printed joined by "\n"
   * @param framesAsText - records carry no `frames` array (only the text): for callers that key
   *   by stack, it saves a string per frame
   */
  constructor(
    private readonly onRecord: (r: PageOwnerRecord, framesText: string) => void,
    private readonly options: ParseOptions = {},
    private readonly framesAsText = false,
  ) {
    this.maxLine = options.maxLineLength ?? 65536;
  }

  /** Feeds a chunk: a Buffer, or a latin1 string (one char per byte). */
  push(chunk: Uint8Array | string): void {
    let s = typeof chunk === "string" ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString("latin1");
    // Sticky: once the input has shown a byte >= 0x80, text fields are checked one by one.
    // (a latin1 char >= 0x80 takes two bytes in UTF-8: a native length check finds one)
    if (!this.high) this.high = Buffer.byteLength(s, "utf8") !== s.length;
    let p = 0;
    if (this.skipping) {
      const nl = s.indexOf("\n");
      if (nl === -1) return;
      this.skipping = false;
      p = nl + 1;
    }
    if (this.partial.length !== 0) {
      s = this.partial + s.slice(p);
      p = 0;
      this.partial = "";
    }
    const maxLine = this.maxLine;
    // Frame lines (most lines) are not cut out one by one: a run of them is one range of s,
    // already in the "\n "-joined form framesText keeps.
    let fs = -1;
    let fe = -1;
    for (;;) {
      const nl = s.indexOf("\n", p);
      if (nl === -1) break;
      this.lineNo++;
      if (s.charCodeAt(p) === 32 && this.recStart !== 0 && nl - p <= maxLine) {
        if (!this.recBad) {
          if (s.charCodeAt(nl - 1) === 13) {
            // CRLF: the line without its \r is not a range of s.
            if (fs !== -1) this.addFrames(s.slice(fs, fe));
            fs = -1;
            this.addFrames(s.slice(p, nl - 1));
          } else if (fs !== -1 && fe + 1 === p) {
            fe = nl;
          } else {
            if (fs !== -1) this.addFrames(s.slice(fs, fe));
            fs = p;
            fe = nl;
          }
        }
        p = nl + 1;
        continue;
      }
      if (fs !== -1) {
        this.addFrames(s.slice(fs, fe));
        fs = -1;
      }
      let l = s.slice(p, nl);
      if (l.length > maxLine) {
        this.issue("LINE_TOO_LONG", this.lineNo, `line longer than ${maxLine} bytes`);
        l = l.slice(0, maxLine);
      } else if (l.length !== 0 && l.charCodeAt(l.length - 1) === 13) {
        l = l.slice(0, -1); // CRLF
      }
      this.line(l);
      p = nl + 1;
    }
    if (fs !== -1) this.addFrames(s.slice(fs, fe));
    const rest = s.length - p;
    if (rest > maxLine) {
      // A line that is already too long: handle what we have, drop the rest up to its newline.
      this.lineNo++;
      this.issue("LINE_TOO_LONG", this.lineNo, `line longer than ${maxLine} bytes`);
      this.line(s.slice(p, p + maxLine));
      this.skipping = true;
    } else if (rest > 0) {
      this.partial = s.slice(p);
    }
  }

  /** Appends frame lines (each with its leading space, "\n"-joined) to the open record. */
  private addFrames(text: string): void {
    this.framesText = this.framesText.length === 0 ? text : `${this.framesText}\n${text}`;
  }

  /** End of input: flushes the last line and the last record (a missing blank line is fine). */
  end(): void {
    if (this.partial.length !== 0) {
      let last = this.partial;
      this.partial = "";
      if (last.endsWith("\r")) last = last.slice(0, -1);
      this.lineNo++;
      this.line(last);
    }
    this.skipping = false;
    this.closeRecord();
    this.closeGarbage();
  }

  private line(l: string): void {
    // Most lines are stack frames: test for them first.
    if (l.charCodeAt(0) === 32 && this.recStart !== 0) {
      if (!this.recBad) this.addFrames(l);
      return;
    }
    if (l.length === 0) {
      this.closeRecord();
      this.closeGarbage();
      return;
    }
    if (l.startsWith(HEADER)) {
      if (this.recStart !== 0) {
        this.issue("MISSING_BLANK_LINE", this.lineNo, "record starts without a blank line after the previous one");
        this.closeRecord();
      }
      this.closeGarbage();
      this.openRecord(l);
      return;
    }
    if (this.recStart === 0) {
      if (this.garbageStart === 0) this.garbageStart = this.lineNo;
      return;
    }
    if (this.recBad) return;
    const c = l.charCodeAt(0);
    if (c === 32) {
      this.addFrames(l);
    } else if (c === 80 && l.startsWith("PFN") && this.pfn === null) {
      const r = parsePfnLine(l);
      if (typeof r === "string") {
        this.issue(r === "range" ? "OUT_OF_RANGE" : "BAD_PFN_LINE", this.lineNo, `malformed PFN line: ${preview(l)}`);
        this.recBad = true;
      } else {
        this.pfn = r;
      }
    } else if (l.startsWith(MIGRATED) || l.startsWith(MIGRATED_LC)) {
      this.migrateReason = l.slice(MIGRATED.length);
    } else if (l === SLAB) {
      this.slabCache = true;
    } else if (l.startsWith("Charged ")) {
      const m = MEMCG_RE.exec(l);
      if (m === null) this.issue("UNEXPECTED_LINE", this.lineNo, `unexpected line in record: ${preview(l)}`);
      else this.memcg = { viaObjcg: m[1] !== undefined, offline: m[2] !== undefined, name: utf8(m[3]) };
    } else {
      this.issue("UNEXPECTED_LINE", this.lineNo, `unexpected line in record: ${preview(l)}`);
    }
  }

  private openRecord(l: string): void {
    this.recStart = this.lineNo;
    this.pfn = null;
    this.framesText = "";
    this.migrateReason = null;
    this.slabCache = false;
    this.memcg = null;
    const h = parseHeader(l);
    if (typeof h === "string") {
      this.header = null;
      this.recBad = true;
      this.issue(h === "range" ? "OUT_OF_RANGE" : "BAD_HEADER", this.lineNo, `malformed record header: ${preview(l)}`);
    } else {
      if (this.high && h.comm !== null) h.comm = utf8(h.comm);
      this.header = h;
      this.recBad = false;
    }
  }

  private closeRecord(): void {
    if (this.recStart === 0) return;
    const start = this.recStart;
    this.recStart = 0;
    if (this.recBad) return;
    const h = this.header!;
    const p = this.pfn;
    if (p === null) {
      this.issue("NO_PFN_LINE", start, "record has no PFN line (truncated?)");
      return;
    }
    // Decoding the lines at once equals decoding each: "\n" ends any partial UTF-8 sequence.
    const text = this.high ? utf8(this.framesText) : this.framesText;
    this.framesText = "";
    const frames = this.framesAsText ? NO_FRAMES : splitFrames(text);
    this.records++;
    this.onRecord({
      line: start,
      order: h.order,
      gfp: h.gfp,
      gfpNames: h.gfpNames,
      pid: h.pid,
      tgid: h.tgid,
      comm: h.comm,
      tsNs: h.tsNs,
      freeTsNs: h.freeTsNs,
      pfn: p.pfn,
      pfnHex: p.pfnHex,
      migratetype: p.migratetype,
      block: p.block,
      blockMigratetype: p.blockMigratetype,
      fallback: p.fallback,
      pageFlags: p.pageFlags,
      pageFlagNames: p.pageFlagNames,
      frames,
      migrateReason: this.migrateReason === null ? null : utf8(this.migrateReason),
      slabCache: this.slabCache,
      memcg: this.memcg,
    }, text);
  }

  private closeGarbage(): void {
    if (this.garbageStart === 0) return;
    const start = this.garbageStart;
    this.garbageStart = 0;
    this.issue("GARBAGE", start, "lines outside any page_owner record");
  }

  private issue(code: ParseIssueCode, line: number, message: string): void {
    this.issues++;
    const issue: ParseIssue = { code, line, message };
    this.options.onIssue?.(issue);
    if (this.options.strict === true) {
      throw new MmError("PARSE_ERROR", `line ${line}: ${message}`, { line, issue: code });
    }
  }
}

const NO_FRAMES: readonly string[] = Object.freeze([]);

/** Frame lines as printed (" f1\n f2") -> the frames without their leading space. */
export function splitFrames(text: string): string[] {
  return text.length === 0 ? [] : text.slice(1).split("\n ");
}

/** At most 80 chars of a line, for messages. */
function preview(l: string): string {
  const s = utf8(l.length > 80 ? `${l.slice(0, 80)}...` : l);
  return JSON.stringify(s);
}

/**
 * Parses a whole dump held in memory (tests, small inputs).
 * @returns the records, in input order
 */
export function parsePageOwnerText(text: string, options: ParseOptions = {}): PageOwnerRecord[] {
  const out: PageOwnerRecord[] = [];
  const p = new PageOwnerParser((r) => out.push(r), options);
  p.push(Buffer.from(text, "utf8"));
  p.end();
  return out;
}

/**
 * Streams records out of chunks (a file stream, `process.stdin`, a gunzip stream...).
 * Memory stays at one line plus one record whatever the input size.
 */
export async function* parsePageOwner(
  chunks: AsyncIterable<Uint8Array | string>,
  options: ParseOptions = {},
): AsyncGenerator<PageOwnerRecord, void, undefined> {
  let batch: PageOwnerRecord[] = [];
  const p = new PageOwnerParser((r) => batch.push(r), options);
  for await (const chunk of chunks) {
    p.push(typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk);
    if (batch.length !== 0) {
      const out = batch;
      batch = [];
      yield* out;
    }
  }
  p.end();
  yield* batch;
}
