/**
 * Page flag bits (enum pageflags of x86-64 6.1 with MEMORY_FAILURE) and the `%pGp` printer.
 * The model keeps the low flag word in a Uint32Array per pfn; node and zone live in the upper bits
 * of the kernel's 64-bit page->flags and are added only when printing.
 */
import { type FlagName, formatFlagNames } from "./gfp.js";

export const PG_locked = 0;
export const PG_referenced = 1;
export const PG_uptodate = 2;
export const PG_dirty = 3;
export const PG_lru = 4;
export const PG_active = 5;
export const PG_workingset = 6;
export const PG_waiters = 7;
export const PG_error = 8;
export const PG_slab = 9;
export const PG_owner_priv_1 = 10;
export const PG_arch_1 = 11;
export const PG_reserved = 12;
export const PG_private = 13;
export const PG_private_2 = 14;
export const PG_writeback = 15;
export const PG_head = 16;
export const PG_mappedtodisk = 17;
export const PG_reclaim = 18;
export const PG_swapbacked = 19;
export const PG_unevictable = 20;
export const PG_mlocked = 21;
export const PG_uncached = 22;
export const PG_hwpoison = 23;
/** PG_reported aliases PG_uptodate on free pages in the kernel; the model gives it its own bit. */
export const PG_reported_alias = PG_uptodate;

/** __def_pageflag_names of 6.1 in print order (x86-64: uncached, hwpoison; no idle/young here). */
export const PAGEFLAG_NAMES_6_1: readonly FlagName[] = [
  ["locked", PG_locked],
  ["waiters", PG_waiters],
  ["error", PG_error],
  ["referenced", PG_referenced],
  ["uptodate", PG_uptodate],
  ["dirty", PG_dirty],
  ["lru", PG_lru],
  ["active", PG_active],
  ["workingset", PG_workingset],
  ["slab", PG_slab],
  ["owner_priv_1", PG_owner_priv_1],
  ["arch_1", PG_arch_1],
  ["reserved", PG_reserved],
  ["private", PG_private],
  ["private_2", PG_private_2],
  ["writeback", PG_writeback],
  ["head", PG_head],
  ["mappedtodisk", PG_mappedtodisk],
  ["reclaim", PG_reclaim],
  ["swapbacked", PG_swapbacked],
  ["unevictable", PG_unevictable],
  ["mlocked", PG_mlocked],
  ["uncached", PG_uncached],
  ["hwpoison", PG_hwpoison],
].map(([name, bit]) => ({ name: name as string, mask: (1 << (bit as number)) >>> 0 }));

/** Where node and zone sit in the 64-bit page->flags (the fixture's kernel: NODES_SHIFT 10, 5 zones). */
export interface PageFlagsLayout {
  readonly nodesWidth: number;
  readonly nodesPgshift: number;
  readonly zonesWidth: number;
  readonly zonesPgshift: number;
}

/** x86-64 6.1 with CONFIG_NODES_SHIFT=10, 5 zones (ZONES_SHIFT 3), no section or cpupid bits. */
export const PAGE_FLAGS_LAYOUT_6_1: PageFlagsLayout = {
  nodesWidth: 10,
  nodesPgshift: 54,
  zonesWidth: 3,
  zonesPgshift: 51,
};

/**
 * `%pGp` as page_owner prints it: `0x8000000000000(node=0|zone=1)`,
 * `0xfffffc0010200(slab|head|node=0|zone=1)`. `flags` is the low 32-bit flag word.
 */
export function formatPageFlags(
  flags: number,
  node: number,
  zone: number,
  layout: PageFlagsLayout = PAGE_FLAGS_LAYOUT_6_1,
): string {
  const full =
    BigInt(flags >>> 0) |
    (BigInt(node) << BigInt(layout.nodesPgshift)) |
    (BigInt(zone) << BigInt(layout.zonesPgshift));
  const names = formatFlagNames(flags >>> 0, PAGEFLAG_NAMES_6_1);
  const fields = `${layout.nodesWidth > 0 ? `node=${node}|` : ""}zone=${zone}`;
  return `0x${full.toString(16)}(${names === "" ? "" : `${names}|`}${fields})`;
}
