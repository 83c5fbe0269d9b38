// Types of the page_owner_stacks/ readers: one entry per stack_print() block.

/**
 * Which debugfs file a text is. mm/page_owner.c stack_print() prints, per stack, the fields its
 * file's flags ask for, then a blank line:
 * - `show_stacks` (6.9+; STACK|PAGES): ` %pS` frames, `nr_base_pages: %d`
 * - `show_handles` (6.19; HANDLE|PAGES): `handle: %d`, `nr_base_pages: %d`
 * - `show_stacks_handles` (6.19; STACK|HANDLE): frames, `handle: %d`; not filtered by count
 */
export type StacksFormat = "show_stacks" | "show_handles" | "show_stacks_handles";

/** One block of a page_owner_stacks file. */
export interface StacksEntry {
  /** 1-based line number of the block's first line. */
  readonly line: number;
  /** Frame lines as printed, leading space kept, joined by "\n" (" f1\n f2"); null: none printed. */
  readonly framesText: string | null;
  /** `handle: %d` (the depot handle, a u32 printed signed); null: not printed. */
  readonly handle: number | null;
  /** `nr_base_pages: %d` (refcount - 1); null: not printed. */
  readonly nrBasePages: number | null;
}

/** Why part of a page_owner_stacks text is not a well-formed block. Codes are stable. */
export type StacksIssueCode =
  | "GARBAGE" // a line that is no frame, handle or count line
  | "BAD_NUMBER" // a handle or count that is not a decimal C int
  | "BAD_BLOCK" // fields out of order, repeated, or a set no kernel file prints
  | "MIXED_FORMAT" // a block of another file's shape than the first block's
  | "DUPLICATE" // a handle printed twice (the kernel's stack list holds each stack once)
  | "LINE_TOO_LONG";

export interface StacksIssue {
  readonly code: StacksIssueCode;
  readonly line: number;
  readonly message: string;
}

export interface StacksParseOptions {
  /**
   * Throw `MmError` PARSE_ERROR (detail `{ line, issue }`) at the first issue instead of skipping
   * the block. @defaultValue false
   */
  readonly strict?: boolean;
  readonly onIssue?: (issue: StacksIssue) => void;
  /** Longest line kept, in bytes. @defaultValue 65536 */
  readonly maxLineLength?: number;
}

/** A stack with its page count: a show_stacks block, or a show_handles one joined to its frames. */
export interface StackPages {
  /** null when not known (show_handles without a show_stacks_handles to join). */
  readonly handle: number | null;
  /** Frame lines as printed (see {@link StacksEntry.framesText}); null when not known. */
  readonly framesText: string | null;
  readonly nrBasePages: number;
}
