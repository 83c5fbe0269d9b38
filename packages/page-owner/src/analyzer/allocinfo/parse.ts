// Reads /proc/allocinfo (lib/alloc_tag.c allocinfo_show, lib/codetag.c codetag_to_text):
//   allocinfo - version: 1.0            (6.10+; print_allocinfo_header)
//   #     <size>  <calls> <tag info>
//          4096        1 mm/foo.c:12 func:foo_alloc
//          8192        2 fs/xfs/xfs_mount.c:87 [xfs] func:xfs_uuid_mount
// Version 2.0 appends ` accurate:no` to sites whose counters missed allocations ("alloc_tag: mark
// inaccurate allocation counters in /proc/allocinfo output", Suren Baghdasaryan, Sep 2025, v2 on
// linux-mm). Lines end in a space (seq_buf_putc(' ')); one stripped by an editor is accepted.
// The header may be missing or anywhere: `sort -g /proc/allocinfo`, as the kernel's
// Documentation/mm/allocation-profiling.rst shows, moves it.

import { MmError } from "@mm/api";
import { LineSplitter, MAX_LINE_DEFAULT } from "../internal/lines.js";
import type { AllocinfoEntry, AllocinfoIssue, AllocinfoIssueCode, AllocinfoParseOptions } from "./api.js";

/** The header lines print_allocinfo_header() writes. */
export const ALLOCINFO_VERSION_PREFIX = "allocinfo - version: ";
export const ALLOCINFO_COLUMNS = "#     <size>  <calls> <tag info>";
/** Versions whose line format this reader knows. */
export const ALLOCINFO_VERSIONS: readonly string[] = ["1.0", "2.0"];

const S64_MAX = 2n ** 63n - 1n;
const S64_MIN = -(2n ** 63n);
const U64_MAX = 2n ** 64n - 1n;

// bytes, calls, file:line, optional [module], func:name, optional accurate:no, optional space.
const SITE = /^ *(-?[0-9]+) +([0-9]+) (\S+):([0-9]+) (?:\[(\S+)\] )?func:(\S+)( accurate:no)? ?$/;

/** Push parser of /proc/allocinfo: {@link push} chunks, then {@link end}. */
export class AllocinfoParser {
  private readonly lines: LineSplitter;
  /** The version line's value (e.g. "2.0"); null when no version line was read. */
  version: string | null = null;
  entries = 0;
  issues = 0;

  constructor(
    private readonly onEntry: (e: AllocinfoEntry) => void,
    private readonly options: AllocinfoParseOptions = {},
  ) {
    this.lines = new LineSplitter((l, n, long) => this.line(l, n, long), options.maxLineLength ?? MAX_LINE_DEFAULT);
  }

  push(chunk: Uint8Array | string): void {
    this.lines.push(chunk);
  }

  end(): void {
    this.lines.end();
  }

  private line(l: string, n: number, tooLong: boolean): void {
    if (tooLong) return this.issue("LINE_TOO_LONG", n, "line longer than the limit");
    if (l.length === 0) return;
    if (l.startsWith(ALLOCINFO_VERSION_PREFIX)) {
      const v = l.slice(ALLOCINFO_VERSION_PREFIX.length);
      if (this.version !== null) return this.issue("BAD_VERSION", n, "a second version line");
      if (!ALLOCINFO_VERSIONS.includes(v)) return this.issue("BAD_VERSION", n, `unknown allocinfo version ${JSON.stringify(v)}`);
      this.version = v;
      return;
    }
    if (l.trimEnd() === ALLOCINFO_COLUMNS) return;
    const m = SITE.exec(l);
    if (m === null) return this.issue("BAD_LINE", n, `not an allocinfo line: ${JSON.stringify(l.length > 80 ? `${l.slice(0, 80)}...` : l)}`);
    const bytes = BigInt(m[1]);
    const calls = BigInt(m[2]);
    const lineno = Number(m[4]);
    if (bytes > S64_MAX || bytes < S64_MIN || calls > U64_MAX || lineno > 0xffffffff)
      return this.issue("OUT_OF_RANGE", n, "a number beyond its C type");
    const accurate = m[7] === undefined;
    if (!accurate && this.version === "1.0") return this.issue("VERSION_MISMATCH", n, "accurate:no in a version 1.0 file");
    this.entries++;
    this.onEntry({ line: n, bytes, calls, filename: m[3], lineno, modname: m[5] ?? null, func: m[6], accurate });
  }

  private issue(code: AllocinfoIssueCode, line: number, message: string): void {
    this.issues++;
    const issue: AllocinfoIssue = { code, line, message };
    this.options.onIssue?.(issue);
    if (this.options.strict === true) throw new MmError("PARSE_ERROR", `line ${line}: ${code}: ${message}`, { line, issue: code });
  }
}

/** A whole allocinfo text in memory: its version (null: no header) and call sites in order. */
export function parseAllocinfoText(text: string, options: AllocinfoParseOptions = {}): { version: string | null; entries: AllocinfoEntry[] } {
  const entries: AllocinfoEntry[] = [];
  const p = new AllocinfoParser((e) => entries.push(e), options);
  p.push(Buffer.from(text, "utf8"));
  p.end();
  return { version: p.version, entries };
}
