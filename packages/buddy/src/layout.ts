/**
 * Physical layout of a machine: usable pfn ranges (the e820 "usable" map after the kernel's own
 * trimming), zones with x86-64 boundaries (free_area_init / zone_spanned_pages_in_node), sections.
 */
import {
  MAX_NR_ZONES,
  MmError,
  PAGE_SHIFT,
  PAGES_PER_SECTION,
  ZONE_DMA32_END_PFN,
  ZONE_DMA_END_PFN,
  ZONE_MOVABLE,
  ZONE_NORMAL,
} from "@mm/api";

/** A half-open pfn range [startPfn, endPfn). */
export interface PfnRange {
  readonly startPfn: number;
  readonly endPfn: number;
}

/** How pfns map to zones. */
export type ZoneLayout = "x86-64" | "single";

/** A zone's span and present pages, before any page is freed. */
export interface ZoneSpan {
  readonly idx: number;
  readonly startPfn: number;
  readonly endPfn: number;
  readonly present: number;
}

/** Sorted, non-overlapping, non-empty ranges; throws BAD_CONFIG otherwise. Adjacent ranges merge. */
export function normalizeRanges(ranges: readonly PfnRange[], what: string): PfnRange[] {
  const sorted = ranges
    .map((r) => {
      if (!Number.isSafeInteger(r.startPfn) || !Number.isSafeInteger(r.endPfn) || r.startPfn < 0 || r.endPfn <= r.startPfn)
        throw new MmError("BAD_CONFIG", `${what}: bad range [${r.startPfn}, ${r.endPfn})`);
      return { startPfn: r.startPfn, endPfn: r.endPfn };
    })
    .sort((a, b) => a.startPfn - b.startPfn);
  const out: PfnRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && r.startPfn < last.endPfn)
      throw new MmError("BAD_CONFIG", `${what}: ranges overlap at pfn ${r.startPfn}`);
    if (last !== undefined && r.startPfn === last.endPfn) out[out.length - 1] = { startPfn: last.startPfn, endPfn: r.endPfn };
    else out.push(r);
  }
  return out;
}

/** Pages of `ranges` inside [lo, hi). */
export function pagesIn(ranges: readonly PfnRange[], lo: number, hi: number): number {
  let n = 0;
  for (const r of ranges) {
    const s = Math.max(r.startPfn, lo);
    const e = Math.min(r.endPfn, hi);
    if (e > s) n += e - s;
  }
  return n;
}

/** Subtract `minus` from `ranges` (both normalized). */
export function subtractRanges(ranges: readonly PfnRange[], minus: readonly PfnRange[]): PfnRange[] {
  const out: PfnRange[] = [];
  for (const r of ranges) {
    let s = r.startPfn;
    for (const m of minus) {
      if (m.endPfn <= s || m.startPfn >= r.endPfn) continue;
      if (m.startPfn > s) out.push({ startPfn: s, endPfn: m.startPfn });
      s = Math.max(s, m.endPfn);
    }
    if (s < r.endPfn) out.push({ startPfn: s, endPfn: r.endPfn });
  }
  return out;
}

/** True if every pfn of `inner` lies in `outer`. */
export function rangesContain(outer: readonly PfnRange[], inner: readonly PfnRange[]): boolean {
  return subtractRanges(inner, outer).length === 0;
}

/**
 * Zone spans as the kernel derives them: each zone spans [max(node start, zone low), min(node end,
 * zone high)) — holes inside count as spanned but not present (zone_spanned_pages_in_node).
 */
export function zoneSpans(ranges: readonly PfnRange[], layout: ZoneLayout, zoneMovablePfn = 0): ZoneSpan[] {
  const nodeStart = ranges[0].startPfn;
  const nodeEnd = ranges[ranges.length - 1].endPfn;
  const bounds =
    layout === "x86-64"
      ? [0, ZONE_DMA_END_PFN, ZONE_DMA32_END_PFN, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]
      : [0, 0, 0, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
  const out: ZoneSpan[] = [];
  for (let z = 0; z < MAX_NR_ZONES; z++) {
    // ZONE_DEVICE is never populated; ZONE_MOVABLE only with movablecore= (zoneMovablePfn > 0).
    let lo = z <= ZONE_NORMAL ? bounds[z] : 0;
    let hi = z <= ZONE_NORMAL ? bounds[z + 1] : 0;
    if (zoneMovablePfn > 0) {
      // adjust_zone_range_for_zone_movable(): Movable is [zone_movable_pfn, node end); the
      // zones below end at zone_movable_pfn.
      if (z === ZONE_MOVABLE) {
        lo = zoneMovablePfn;
        hi = nodeEnd;
      } else if (z < ZONE_MOVABLE) hi = Math.min(hi, zoneMovablePfn);
    }
    const s = Math.max(nodeStart, lo);
    const e = Math.min(nodeEnd, hi);
    if (e > s) out.push({ idx: z, startPfn: s, endPfn: e, present: pagesIn(ranges, s, e) });
    else out.push({ idx: z, startPfn: 0, endPfn: 0, present: 0 });
  }
  return out;
}

/**
 * find_zone_movable_pfns_for_nodes() of mm/page_alloc.c (6.1) for one node and movablecore= only:
 * ZONE_MOVABLE takes the top of the highest zone (movable_zone: Normal, or DMA32 below 4 GiB);
 * the kernelcore pages are counted from the bottom, every page below that zone counting as
 * kernel memory, and the start is rounded up to MAX_ORDER_NR_PAGES.
 * @param movablecorePages required_movablecore in pages
 * @returns zone_movable_pfn, or 0 for no ZONE_MOVABLE
 */
export function findZoneMovablePfn(ranges: readonly PfnRange[], layout: ZoneLayout, movablecorePages: number, maxOrder: number): number {
  if (layout !== "x86-64" || movablecorePages <= 0) return 0;
  const block = 1 << maxOrder;
  const nodeEnd = ranges[ranges.length - 1].endPfn;
  // early_calculate_totalpages(): every memblock.memory page.
  let totalpages = 0;
  for (const r of ranges) totalpages += r.endPfn - r.startPfn;
  // "Round-up so that ZONE_MOVABLE is at least as large as what was requested by the user".
  const requiredMovable = Math.min(totalpages, Math.ceil(movablecorePages / block) * block);
  let requiredKernelcore = totalpages - requiredMovable;
  if (requiredKernelcore === 0 || requiredKernelcore >= totalpages) return 0;
  // find_usable_zone_for_movable(): the highest zone the arch ranges give this node.
  const usableStart = nodeEnd > ZONE_DMA32_END_PFN ? ZONE_DMA32_END_PFN : nodeEnd > ZONE_DMA_END_PFN ? ZONE_DMA_END_PFN : 0;
  let remaining = requiredKernelcore;
  let zmp = 0;
  for (const r of ranges) {
    let start = Math.max(r.startPfn, zmp);
    const end = r.endPfn;
    if (start >= end) continue;
    if (start < usableStart) {
      const kernelPages = Math.min(end, usableStart) - start;
      remaining -= Math.min(kernelPages, remaining);
      requiredKernelcore -= Math.min(kernelPages, requiredKernelcore);
      if (end <= usableStart) {
        zmp = end;
        continue;
      }
      start = usableStart;
    }
    const size = Math.min(end - start, remaining);
    zmp = start + size;
    remaining -= size;
    if (remaining === 0) break;
  }
  zmp = Math.ceil(zmp / block) * block;
  return zmp >= nodeEnd ? 0 : zmp;
}

/** Pages of a memory size (bytes), rounded down. */
export function bytesToPages(bytes: number): number {
  return Math.floor(bytes / 2 ** PAGE_SHIFT);
}

/** Section index of a pfn (128 MiB sections on x86-64). */
export function sectionOf(pfn: number): number {
  return Math.floor(pfn / PAGES_PER_SECTION);
}
