/**
 * Finding the block a pfn belongs to: compound_head(), the free block around a pfn, the
 * allocated block around a pfn, and the error that names what a pfn really is.
 * Kernel counterpart: include/linux/page-flags.h (compound_head), mm/page_alloc.c
 * (is_free_buddy_page's walk over the orders).
 */
import { MmError, type MmErrorCode } from "@mm/api";
import { type NodeState } from "./internal/node.js";
import { PB_ALLOC, PB_BUDDY, PB_HEAD, PB_ISOLATED, PB_RESERVED, PB_TAIL } from "./page-state.js";

/** Head of the free (or isolated) block containing pfn, or -1. */
export function freeBlockHead(s: NodeState, pfn: number): number {
  for (let o = 0; o <= s.maxOrder; o++) {
    const h = pfn & ~((1 << o) - 1);
    const f = s.flags[h];
    if (f & (PB_BUDDY | PB_ISOLATED) && h + (1 << s.order[h]) > pfn) return h;
    if (f & (PB_ALLOC | PB_RESERVED) && h !== pfn) return -1;
  }
  return -1;
}

/** Head of the allocated block containing pfn (compound or not), or -1. */
export function allocatedBlockHead(s: NodeState, pfn: number): number {
  for (let o = 0; o <= s.maxOrder; o++) {
    const h = pfn & ~((1 << o) - 1);
    const f = s.flags[h];
    if (f & PB_ALLOC) return h + (1 << s.order[h]) > pfn ? h : -1;
    if (f & (PB_BUDDY | PB_ISOLATED | PB_RESERVED)) return -1;
  }
  return -1;
}

/** compound_head(): pfn itself unless it is a compound tail. */
export function compoundHead(s: NodeState, pfn: number): number {
  if ((s.flags[pfn] & PB_TAIL) === 0) return pfn;
  for (let o = 1; o <= s.maxOrder; o++) {
    const h = pfn & ~((1 << o) - 1);
    if (s.flags[h] & PB_HEAD) return h;
  }
  return pfn; // unreachable while the invariants hold
}

/** The typed error for an operation on a pfn that is not an allocated head. */
export function notAllocated(s: NodeState, pfn: number, what: string, putOnFree: boolean): MmError {
  if (s.pcp !== null && s.pcp.pageMt[pfn] !== 0xff)
    return new MmError(putOnFree ? "PUT_ON_FREE_PAGE" : "DOUBLE_FREE", `${what}: pfn ${pfn} is free (on a per-cpu list, order ${s.order[pfn]})`, { pfn });
  const fh = freeBlockHead(s, pfn);
  let code: MmErrorCode = "NOT_ALLOCATED";
  if (fh >= 0) code = putOnFree ? "PUT_ON_FREE_PAGE" : "DOUBLE_FREE";
  const why =
    fh >= 0
      ? `is free (in the ${s.flags[fh] & PB_ISOLATED ? "isolated" : "free"} order-${s.order[fh]} block at ${fh})`
      : s.flags[pfn] & PB_RESERVED
        ? "is reserved"
        : s.flags[pfn] & PB_TAIL
          ? `is a tail of the compound page at ${compoundHead(s, pfn)}`
          : "is not the head of an allocated block";
  return new MmError(code, `${what}: pfn ${pfn} ${why}`, { pfn });
}
