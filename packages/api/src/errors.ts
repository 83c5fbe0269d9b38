/**
 * Every package raises MmError for bad input. `code` is stable across releases: match on it, not on
 * the message. A raised MmError promises that the model's state is exactly as it was before the call.
 */
export type MmErrorCode =
  | "EINVAL" // generic invalid argument
  | "PFN_OUT_OF_RANGE"
  | "PFN_IN_HOLE"
  | "BAD_ORDER"
  | "DOUBLE_FREE"
  | "WRONG_ORDER" // free with an order other than the one allocated
  | "NOT_ALLOCATED"
  | "PUT_ON_FREE_PAGE"
  | "REFCOUNT_OVERFLOW"
  | "NOT_FREE_BLOCK" // isolate of a block that is not free at that order
  | "NOT_ISOLATED"
  | "BUSY" // e.g. alloc_contig_range hit a page it could not migrate
  | "NOMEM"
  | "BAD_HANDLE"
  | "BAD_CONFIG"
  | "BAD_STATE"
  | "PARSE_ERROR"
  | "INVARIANT";

export class MmError extends Error {
  override readonly name = "MmError";
  readonly code: MmErrorCode;
  /** Extra machine-readable context (pfn, order, line number...). */
  readonly detail: Readonly<Record<string, number | string>> | undefined;

  constructor(code: MmErrorCode, message: string, detail?: Readonly<Record<string, number | string>>) {
    super(`${code}: ${message}`);
    this.code = code;
    this.detail = detail;
  }
}

export function isMmError(e: unknown, code?: MmErrorCode): e is MmError {
  return e instanceof MmError && (code === undefined || e.code === code);
}
