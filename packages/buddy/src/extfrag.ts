/**
 * /sys/kernel/debug/extfrag/{unusable_index,extfrag_index}: the fragmentation indices of
 * mm/vmstat.c (fill_contig_page_info, unusable_free_index, __fragmentation_index,
 * unusable_show_print, extfrag_show_print), computed from free_area[order].nr_free alone.
 * Read in 6.1 and 6.12: same arithmetic; the loop bound is MAX_ORDER (6.1) / NR_PAGE_ORDERS (6.12).
 */
import type { BuddyinfoRow } from "./procfs.js";

/** struct contig_page_info. */
export interface ContigPageInfo {
  readonly freePages: number;
  readonly freeBlocksTotal: number;
  readonly freeBlocksSuitable: number;
}

/** fill_contig_page_info(): `counts[o]` = free_area[o].nr_free. */
export function contigPageInfo(counts: ArrayLike<number>, suitableOrder: number): ContigPageInfo {
  let freePages = 0;
  let freeBlocksTotal = 0;
  let freeBlocksSuitable = 0;
  for (let o = 0; o < counts.length; o++) {
    const blocks = counts[o];
    freeBlocksTotal += blocks;
    freePages += blocks * 2 ** o;
    if (o >= suitableOrder) freeBlocksSuitable += blocks * 2 ** (o - suitableOrder);
  }
  return { freePages, freeBlocksTotal, freeBlocksSuitable };
}

/**
 * unusable_free_index(): thousandths of the free memory that an order-`order` request cannot use
 * (1000 when nothing is free).
 */
export function unusableFreeIndex(order: number, info: ContigPageInfo): number {
  if (info.freePages === 0) return 1000;
  return Math.floor(((info.freePages - info.freeBlocksSuitable * 2 ** order) * 1000) / info.freePages);
}

/**
 * __fragmentation_index(): -1000 when the request would succeed, 0 with no free blocks, else
 * 1000 - (1000 + free_pages * 1000 / 2^order) / free_blocks_total, all integer divisions. The
 * kernel's formula goes below 0 when few small blocks are free (one free page, order 1: -500),
 * and so does this.
 */
export function fragmentationIndex(order: number, info: ContigPageInfo): number {
  if (info.freeBlocksTotal === 0) return 0;
  if (info.freeBlocksSuitable !== 0) return -1000;
  const requested = 2 ** order;
  return 1000 - Math.floor((1000 + Math.floor((info.freePages * 1000) / requested)) / info.freeBlocksTotal);
}

/** printf("%0*d", width, v) for an int: the sign counts in the width, zeros go after it. */
function cInt(v: number, width: number, zero: boolean): string {
  const digits = String(Math.abs(v));
  const sign = v < 0 ? "-" : "";
  const len = sign.length + digits.length;
  if (len >= width) return sign + digits;
  return zero ? sign + "0".repeat(width - len) + digits : " ".repeat(width - len) + sign + digits;
}

/** `index / 1000` and `index % 1000` as C computes them (truncation toward zero). */
function thousandths(index: number, intWidth: number): string {
  const q = Math.trunc(index / 1000);
  const r = index % 1000;
  return `${cInt(q, intWidth, false)}.${cInt(r, 3, true)}`;
}

/** One line of extfrag/unusable_index: `Node %d, zone %8s ` then `%d.%03d ` per order. */
export function formatUnusableIndexRow(row: BuddyinfoRow): string {
  let s = `Node ${row.node}, zone ${row.zone.padStart(8)} `;
  for (let o = 0; o < row.counts.length; o++) s += `${thousandths(unusableFreeIndex(o, contigPageInfo(row.counts, o)), 1)} `;
  return `${s}\n`;
}

/** One line of extfrag/extfrag_index: `Node %d, zone %8s ` then `%2d.%03d ` per order. */
export function formatExtfragIndexRow(row: BuddyinfoRow): string {
  let s = `Node ${row.node}, zone ${row.zone.padStart(8)} `;
  for (let o = 0; o < row.counts.length; o++) s += `${thousandths(fragmentationIndex(o, contigPageInfo(row.counts, o)), 2)} `;
  return `${s}\n`;
}

/** /sys/kernel/debug/extfrag/unusable_index for populated zones (the rows of buddyinfo). */
export function formatUnusableIndex(rows: readonly BuddyinfoRow[]): string {
  return rows.map(formatUnusableIndexRow).join("");
}

/** /sys/kernel/debug/extfrag/extfrag_index for populated zones (the rows of buddyinfo). */
export function formatExtfragIndex(rows: readonly BuddyinfoRow[]): string {
  return rows.map(formatExtfragIndexRow).join("");
}
