/**
 * The watermark checks: may this zone hand out 2^order pages under this mark?
 * Kernel counterpart: mm/page_alloc.c (__zone_watermark_unusable_free, __zone_watermark_ok,
 * zone_watermark_fast, wmark_pages) of 6.1.
 */
import { type Gfp, MmError } from "@mm/api";
import * as mmApi from "@mm/api";
import { type NodeState, type Zone } from "./internal/node.js";

// Imported constants bound module-locally for the hot path (why: free-area.ts).
const { __GFP_ATOMIC, ALLOC_CMA, ALLOC_HARDER, ALLOC_HIGH, ALLOC_NO_WATERMARKS, ALLOC_OOM, MIGRATE_CMA, MIGRATE_HIGHATOMIC, MIGRATE_PCPTYPES, MIGRATE_TYPES, WMARK_HIGH, WMARK_LOW, WMARK_MIN, WMARK_PROMO } = mmApi;

/** ALLOC_WMARK_MASK: the watermark index in alloc_flags. */
export const ALLOC_WMARK_MASK = ALLOC_NO_WATERMARKS - 1;

/** wmark_pages(zone, i): the watermark plus the current boost. */
export function wmarkPages(z: Zone, kind: number): number {
  const w =
    kind === WMARK_LOW ? z.wmarkLow : kind === WMARK_MIN ? z.wmarkMin : kind === WMARK_HIGH ? z.wmarkHigh : kind === WMARK_PROMO ? z.wmarkPromo : badKind(kind);
  return w + z.watermarkBoost;
}

function badKind(kind: number): never {
  throw new MmError("EINVAL", `watermark kind ${kind}`);
}

/** __zone_watermark_unusable_free(). */
export function unusableFree(z: Zone, order: number, allocFlags: number): number {
  let unusable = (1 << order) - 1;
  if ((allocFlags & (ALLOC_HARDER | ALLOC_OOM)) === 0) unusable += z.nrReservedHighatomic;
  if ((allocFlags & ALLOC_CMA) === 0) unusable += z.freeCmaPages;
  return unusable;
}

/**
 * __zone_watermark_ok() (6.1). The final walk asks, for each order from `order` up, whether a
 * free list the request may use (the PCP types, CMA with ALLOC_CMA, HighAtomic when harder) is
 * non-empty; freeMask answers for all orders at once.
 */
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
  const mask = s.freeMask;
  const base = z.idx * MIGRATE_TYPES;
  let usable = 0;
  for (let mt = 0; mt < MIGRATE_PCPTYPES; mt++) usable |= mask[base + mt];
  if (allocFlags & ALLOC_CMA) usable |= mask[base + MIGRATE_CMA];
  if (harder) usable |= mask[base + MIGRATE_HIGHATOMIC];
  return usable >> order !== 0;
}

/** zone_watermark_fast() (6.1): the order-0 check against the cached free count first. */
export function watermarkFast(s: NodeState, z: Zone, order: number, mark: number, highestZoneIdx: number, allocFlags: number, gfp: Gfp): boolean {
  const freePages = z.freePages;
  if (order === 0) {
    const reserved = unusableFree(z, 0, allocFlags);
    // reserved may over-estimate the high-atomic reserves: usable_free -= min(usable_free, reserved)
    const usable = reserved < freePages ? freePages - reserved : 0;
    if (usable > mark + z.lowmemReserve[highestZoneIdx]) return true;
  }
  return watermarkSlow(s, z, order, mark, highestZoneIdx, allocFlags, gfp, freePages);
}

/** The rest of zone_watermark_fast(): __zone_watermark_ok, and GFP_ATOMIC's boost exemption. */
function watermarkSlow(s: NodeState, z: Zone, order: number, mark: number, highestZoneIdx: number, allocFlags: number, gfp: Gfp, freePages: number): boolean {
  if (watermarkOk(s, z, order, mark, highestZoneIdx, allocFlags, freePages)) return true;
  // GFP_ATOMIC order-0 ignores the boost when checking the min watermark.
  if (order === 0 && gfp & __GFP_ATOMIC && z.watermarkBoost !== 0 && (allocFlags & ALLOC_WMARK_MASK) === WMARK_MIN)
    return watermarkOk(s, z, order, z.wmarkMin, highestZoneIdx, allocFlags, freePages);
  return false;
}
