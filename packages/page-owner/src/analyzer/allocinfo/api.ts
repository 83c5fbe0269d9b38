// Types of the /proc/allocinfo reader (memory allocation profiling, 6.10+; lib/alloc_tag.c).

/** One call site: `%12lli %8llu ` + codetag_to_text() [+ ` accurate:no`] + ` `. */
export interface AllocinfoEntry {
  /** 1-based line number. */
  readonly line: number;
  /** Bytes currently allocated from the site (s64: can be negative in a racy read). */
  readonly bytes: bigint;
  /** Live allocations from the site (u64). */
  readonly calls: bigint;
  readonly filename: string;
  readonly lineno: number;
  /** `[%s]` module name; null for built-in code. */
  readonly modname: string | null;
  readonly func: string;
  /** v2.0: false when the line says `accurate:no` (a slab obj_ext vector allocation failed). */
  readonly accurate: boolean;
}

/** Why part of an allocinfo text is not well formed. Codes are stable. */
export type AllocinfoIssueCode =
  | "BAD_LINE" // not a header line nor a call-site line
  | "BAD_VERSION" // a version this reader does not know, or a second version line
  | "VERSION_MISMATCH" // `accurate:no` in a version 1.0 file (2.0 added it)
  | "OUT_OF_RANGE" // bytes beyond s64, calls beyond u64, lineno beyond u32
  | "LINE_TOO_LONG";

export interface AllocinfoIssue {
  readonly code: AllocinfoIssueCode;
  readonly line: number;
  readonly message: string;
}

export interface AllocinfoParseOptions {
  /** Throw `MmError` PARSE_ERROR at the first issue. @defaultValue false */
  readonly strict?: boolean;
  readonly onIssue?: (issue: AllocinfoIssue) => void;
  /** Longest line kept, in bytes. @defaultValue 65536 */
  readonly maxLineLength?: number;
}
