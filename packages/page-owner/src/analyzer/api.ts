// Public types of the page_owner dump analyzer: one typed record per allocation printed by
// /sys/kernel/debug/page_owner (mm/page_owner.c print_page_owner), every era.

/** How a `Charged ...` line (CONFIG_MEMCG, 5.18+) attributed the page. */
export interface MemcgCharge {
  /** `Charged (via objcg) to ...`: a slab page charged through an obj_cgroup. */
  readonly viaObjcg: boolean;
  /** `... to offline memcg ...` */
  readonly offline: boolean;
  /** The memcg path, e.g. "/" or "/system.slice/foo.service". */
  readonly name: string;
}

/**
 * One record of a page_owner dump.
 *
 * Fields a given kernel era does not print are null: pid (before ~5.11), tgid and comm (before
 * ~5.18), free_ts (before ~5.11 and from 6.7), gfp names and migratetypes (3.19–4.5 format).
 */
export interface PageOwnerRecord {
  /** 1-based line number of the record's `Page allocated via order` line. */
  readonly line: number;
  /** Allocation order: the record covers 2^order base pages. */
  readonly order: number;
  /** The gfp mask value (`mask %#x`). */
  readonly gfp: number;
  /** `%pGg` names as printed, e.g. "GFP_KERNEL|__GFP_NOWARN"; null in the 3.19–4.5 format. */
  readonly gfpNames: string | null;
  readonly pid: number | null;
  readonly tgid: number | null;
  /** Task name (TASK_COMM_LEN 16: at most 15 bytes in real dumps). */
  readonly comm: string | null;
  /** `ts %llu ns`: local_clock() at allocation. */
  readonly tsNs: bigint | null;
  /** `free_ts %llu ns` (5.11–6.6): local_clock() at the page's last free. */
  readonly freeTsNs: bigint | null;
  readonly pfn: number;
  /** The PFN was printed as `0x…` (newer kernels) rather than in decimal. */
  readonly pfnHex: boolean;
  /** Migratetype derived from the gfp (`PFN … type %s`); null in the 3.19–4.5 format. */
  readonly migratetype: string | null;
  /** Pageblock number (`Block %lu` = pfn >> pageblock_order). */
  readonly block: number;
  /** The pageblock's migratetype (a name; the 3.19–4.5 format printed a number, kept as text). */
  readonly blockMigratetype: string;
  /** 3.19–4.5 format: the line said `Fallback` (block type differs from the gfp's). */
  readonly fallback: boolean;
  /** Page flags value (`Flags %#lx`); null in the 3.19–4.5 format (one-letter columns). */
  readonly pageFlags: bigint | null;
  /** `%pGp` text inside the parentheses, e.g. "slab|node=0|zone=1" (old format: the letters). */
  readonly pageFlagNames: string;
  /** Stack frames as printed, without the leading space, innermost first. */
  readonly frames: readonly string[];
  /** `Page has been migrated, last migrate reason: %s`, else null. */
  readonly migrateReason: string | null;
  /** `Slab cache page` line present (memcg, 5.18+). */
  readonly slabCache: boolean;
  readonly memcg: MemcgCharge | null;
}

/** Why a part of the input is not a well-formed record. Codes are stable. */
export type ParseIssueCode =
  | "GARBAGE" // non-blank lines outside any record
  | "BAD_HEADER" // a `Page allocated via order` line whose fields do not parse
  | "BAD_PFN_LINE" // a `PFN ...` line that does not parse
  | "NO_PFN_LINE" // a record that ended without its PFN line (truncated)
  | "UNEXPECTED_LINE" // an unknown line inside a record (the record is kept)
  | "MISSING_BLANK_LINE" // a record started before the previous one's blank line
  | "LINE_TOO_LONG" // a line over the parser's limit (cut)
  | "OUT_OF_RANGE"; // a number too large for its C type

/** One malformed record or stray input, with where it starts. */
export interface ParseIssue {
  readonly code: ParseIssueCode;
  /** 1-based line number. */
  readonly line: number;
  readonly message: string;
}

/** Options of the streaming parser. */
export interface ParseOptions {
  /**
   * Throw `MmError` (code `PARSE_ERROR`, detail `{ line, issue }`) at the first issue instead of
   * skipping the bad part.
   * @defaultValue false
   */
  readonly strict?: boolean;
  /** Called for each issue (before the throw, in strict mode). */
  readonly onIssue?: (issue: ParseIssue) => void;
  /**
   * Longest line kept, in bytes; longer lines are cut (issue `LINE_TOO_LONG`), so a dump without
   * newlines cannot exhaust memory.
   * @defaultValue 65536
   */
  readonly maxLineLength?: number;
}

/** What {@link summarizeStacks} computes per distinct stack: `show_stacks`'s view of a dump. */
export interface StackSummary {
  /** Frames, innermost first, as printed. */
  readonly frames: readonly string[];
  /** Base pages currently allocated from this stack (sum of 2^order), like `nr_base_pages`. */
  nrBasePages: number;
  /** Records (allocations) with this stack. */
  records: number;
}

/** One stack's change between two dumps (see {@link diffStacks}). */
export interface StackDelta {
  readonly frames: readonly string[];
  readonly before: number;
  readonly after: number;
  /** after - before, in base pages. */
  readonly delta: number;
  readonly recordsBefore: number;
  readonly recordsAfter: number;
}
