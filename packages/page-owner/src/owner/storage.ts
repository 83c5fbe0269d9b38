/**
 * page_owner's stack storage policy: 8 raw frames per page in page_ext (v3.19-v4.6) or a 32-bit
 * stackdepot handle (v4.7+, seed 000).
 */
import type { OwnerDepot, StackStorage } from "./api.js";

/**
 * 8 inline frames per page (`trace_entries[8]` + `nr_entries`): 64 + 4 bytes of page_ext per page,
 * no depot, nothing allocated at run time, so nothing can fail or recurse; traces are cut at 8.
 */
export function inlineStorage(): StackStorage {
  return { kind: "inline8", depot: null };
}

/**
 * A depot handle per page (4 bytes). The depot allocates pool pages at run time: it can fail
 * (failure_handle) and, when its pages come from the allocator page_owner watches, re-enter
 * page_owner (dummy_handle, via the recursion guard).
 */
export function depotStorage(depot: OwnerDepot): StackStorage {
  return { kind: "depot", depot };
}
