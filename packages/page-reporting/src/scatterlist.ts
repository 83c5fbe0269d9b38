/**
 * A scatterlist as page reporting uses it: a fixed table of entries (page, length) where the last
 * entry of a table carries an end marker and sg_next() stops there.
 * Kernel counterpart: lib/scatterlist.c (sg_init_table, sg_set_page, sg_next, sg_mark_end).
 */
import { MmError, type Order, type Pfn } from "@mm/api";

/** Struct-of-arrays table; `pfn[i] === -1` means the entry holds no page. */
export interface Scatterlist {
  /** Entries in the table (PAGE_REPORTING_CAPACITY for the reporter's list). */
  readonly length: number;
  /** sg_page() as a pfn, -1 when empty. */
  readonly pfn: Int32Array;
  /** get_order(sg->length). */
  readonly order: Uint8Array;
  /** sg_is_last(): 1 on the entry that ends its table. */
  readonly end: Uint8Array;
}

/** Allocate a table of `length` entries, initialised (kmalloc_array + sg_init_table). */
export function createScatterlist(length: number): Scatterlist {
  if (!Number.isInteger(length) || length < 1 || length > 0xffff) {
    throw new MmError("EINVAL", `scatterlist length ${length} out of range`);
  }
  const sgl: Scatterlist = {
    length,
    pfn: new Int32Array(length),
    order: new Uint8Array(length),
    end: new Uint8Array(length),
  };
  sgInitTable(sgl, 0, length);
  return sgl;
}

/**
 * sg_init_table(&sgl[start], nents): clear the entries and mark the last one as the end.
 * Entries outside the range are untouched, exactly as in C.
 */
export function sgInitTable(sgl: Scatterlist, start: number, nents: number): void {
  if (nents < 1 || start < 0 || start + nents > sgl.length) {
    throw new MmError("EINVAL", `sg_init_table(${start}, ${nents}) outside a ${sgl.length}-entry table`);
  }
  const stop = start + nents;
  sgl.pfn.fill(-1, start, stop);
  sgl.order.fill(0, start, stop);
  sgl.end.fill(0, start, stop);
  sgl.end[stop - 1] = 1;
}

/** sg_set_page(&sgl[i], page, PAGE_SIZE << order, 0). Trusts its inputs (hot path). */
export function sgSetPage(sgl: Scatterlist, i: number, pfn: Pfn, order: Order): void {
  sgl.pfn[i] = pfn;
  sgl.order[i] = order;
}

/** sg_next(): the following entry, or -1 after the end marker. */
export function sgNext(sgl: Scatterlist, i: number): number {
  return sgl.end[i] === 1 ? -1 : i + 1;
}

/**
 * Walk from `start` with sg_next() and count entries up to and including the end marker, as
 * virtqueue_add() does when it turns a chain into descriptors. Returns -1 when the walk runs off
 * the table (no end marker) or meets an entry with no page: both are kernel bugs, not errors.
 */
export function sgChainLength(sgl: Scatterlist, start: number): number {
  let n = 0;
  for (let i = start; i >= 0; i = sgNext(sgl, i)) {
    if (i >= sgl.length || sgl.pfn[i] < 0) return -1;
    n++;
  }
  return n;
}
