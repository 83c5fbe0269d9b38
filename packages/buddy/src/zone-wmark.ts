/**
 * The watermark checks: may this zone hand out 2^order pages under this mark?
 * Kernel counterpart: mm/page_alloc.c (__zone_watermark_unusable_free, __zone_watermark_ok,
 * zone_watermark_fast, wmark_pages) of 6.1.
 */
import {
  __GFP_ATOMIC,
  ALLOC_CMA,
  ALLOC_HARDER,
  ALLOC_HIGH,
  ALLOC_NO_WATERMARKS,
  ALLOC_OOM,
  type Gfp,
  MIGRATE_CMA,
  MIGRATE_HIGHATOMIC,
  MIGRATE_PCPTYPES,
  MIGRATE_TYPES,
  MmError,
  WMARK_HIGH,
  WMARK_LOW,
  WMARK_MIN,
  WMARK_PROMO,
} from "@mm/api";
import { type NodeState, type Zone } from "./internal/node.js";

/** ALLOC_WMARK_MASK: the watermark index in alloc_flags. */
export const ALLOC_WMARK_MASK = ALLOC_NO_WATERMARKS - 1;

/** wmark_pages(zone, i): the watermark plus the current boost. */
export function wmarkPages(z: Zone, kind: number): number {
  const b = z.watermarkBoost;
  switch (kind) {
    case WMARK_MIN:
      return z.wmarkMin + b;
    case WMARK_LOW:
      return z.wmarkLow + b;
    case WMARK_HIGH:
      return z.wmarkHigh + b;
    case WMARK_PROMO:
      return z.wmarkPromo + b;
    default:
      throw new MmError("EINVAL", `watermark kind ${kind}`);
  }
}

/** __zone_watermark_unusable_free(). */
export function unusableFree(z: Zone, order: number, allocFlags: number): number {
  let unusable = (1 << order) - 1;
  if ((allocFlags & (ALLOC_HARDER | ALLOC_OOM)) === 0) unusable += z.nrReservedHighatomic;
  if ((allocFlags & ALLOC_CMA) === 0) unusable += z.freeCmaPages;
  return unusable;
}

/** __zone_watermark_ok() (6.1). */
export function watermarkOk(s: NodeState, z: Zone, order: number, mark: number, highestZoneIdx: number, allocFlags: number, freePages: number): boolean {
  let min = mark;
  const harder = (allocFlags & (ALLOC_HARDER | ALLOC_OOM)) !== 0;
  freePages -= unusableFree(z, order, allocFlags);
  if (allocFlags & ALLOC_HIGH) min -= Math.floor(min / 2);
  if (harder) {
    if (allocFlags & ALLOC_OOM) min -= Math.floor(min / 2);
    else min -= Math.floor(min / 4);
  }
  if (freePages <= min + z.lowmemReserve[highestZoneIdx]) return false;
  if (order === 0) return true;
  const base = s.listBase + z.idx * s.nrOrders * MIGRATE_TYPES;
  const nrFree = s.nrFreeArr;
  const next = s.next;
  for (let o = order; o <= s.maxOrder; o++) {
    if (nrFree[z.idx * s.nrOrders + o] === 0) continue;
    const h = base + o * MIGRATE_TYPES;
    for (let mt = 0; mt < MIGRATE_PCPTYPES; mt++) if (next[h + mt] !== h + mt) return true;
    if (allocFlags & ALLOC_CMA && next[h + MIGRATE_CMA] !== h + MIGRATE_CMA) return true;
    if (harder && next[h + MIGRATE_HIGHATOMIC] !== h + MIGRATE_HIGHATOMIC) return true;
  }
  return false;
}

/** zone_watermark_fast() (6.1). */
export function watermarkFast(s: NodeState, z: Zone, order: number, mark: number, highestZoneIdx: number, allocFlags: number, gfp: Gfp): boolean {
  const freePages = z.freePages;
  if (order === 0) {
    let usable = freePages;
    const reserved = unusableFree(z, 0, allocFlags);
    usable -= Math.min(usable, reserved);
    if (usable > mark + z.lowmemReserve[highestZoneIdx]) return true;
  }
  if (watermarkOk(s, z, order, mark, highestZoneIdx, allocFlags, freePages)) return true;
  // GFP_ATOMIC order-0 ignores the boost when checking the min watermark.
  if (order === 0 && gfp & __GFP_ATOMIC && z.watermarkBoost !== 0 && (allocFlags & ALLOC_WMARK_MASK) === WMARK_MIN)
    return watermarkOk(s, z, order, z.wmarkMin, highestZoneIdx, allocFlags, freePages);
  return false;
}
