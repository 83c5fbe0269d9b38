/**
 * The watermark arithmetic of mm/page_alloc.c (calculate_min_free_kbytes, __setup_per_zone_wmarks,
 * setup_per_zone_lowmem_reserve) and mm/khugepaged.c (set_recommended_min_free_kbytes), as pure
 * functions over plain numbers so they can be checked against a real zoneinfo by hand.
 */
import { MIGRATE_PCPTYPES, PAGE_SHIFT } from "@mm/api";

/** int_sqrt() of lib/math/int_sqrt.c: the floor of the square root, exact for any safe integer. */
export function intSqrt(x: number): number {
  if (x < 2) return x < 0 ? 0 : Math.floor(x);
  let r = Math.floor(Math.sqrt(x));
  // Float sqrt can be off by one near perfect squares of large numbers; correct it.
  while (r * r > x) r--;
  while ((r + 1) * (r + 1) <= x) r++;
  return r;
}

/** mult_frac(x, n, d): x * n / d without the intermediate overflow, integer semantics. */
export function multFrac(x: number, n: number, d: number): number {
  const q = Math.floor(x / d);
  const r = x % d;
  return q * n + Math.floor((r * n) / d);
}

/** The clamp calculate_min_free_kbytes applies (262144 since 5.7; 65536 before). */
export const MIN_FREE_KBYTES_MIN = 128;
export const MIN_FREE_KBYTES_MAX = 262144;

/**
 * calculate_min_free_kbytes()'s formula: int_sqrt(lowmem_kbytes * 16), clamped to [128, 262144].
 * @param nrFreeBufferPages nr_free_buffer_pages(): sum over zones <= Normal of (managed - high).
 */
export function minFreeKbytesFor(nrFreeBufferPages: number): number {
  const lowmemKbytes = nrFreeBufferPages * (1 << (PAGE_SHIFT - 10));
  const v = intSqrt(lowmemKbytes * 16);
  return Math.min(Math.max(v, MIN_FREE_KBYTES_MIN), MIN_FREE_KBYTES_MAX);
}

/** One zone's watermarks: [min, low, high, promo]. */
export type Watermarks = [number, number, number, number];

/**
 * __setup_per_zone_wmarks() for one zone.
 * @param pagesMin min_free_kbytes >> (PAGE_SHIFT - 10)
 * @param managed this zone's managed pages
 * @param lowmemPages managed pages of all zones that are neither HighMem nor Movable
 * @param highmem is_highmem(zone): a fixed small min instead of a share. Never true on x86-64;
 *   6.1 does not apply this rule to ZONE_MOVABLE (its zoneinfo shows min 0 for an empty Movable zone).
 * @param scaleFactor watermark_scale_factor (default 10 = 0.1 %)
 */
export function zoneWatermarks(
  pagesMin: number,
  managed: number,
  lowmemPages: number,
  highmem: boolean,
  scaleFactor: number,
): Watermarks {
  // tmp = pages_min * managed / lowmem_pages (u64 do_div); lowmem_pages is never 0 once a zone exists.
  let tmp = lowmemPages === 0 ? 0 : Math.floor((pagesMin * managed) / lowmemPages);
  let min: number;
  if (highmem) {
    // HighMem/Movable: a small fixed reserve, clamp(managed / 1024, SWAP_CLUSTER_MAX, 128).
    min = Math.min(Math.max(Math.floor(managed / 1024), 32), 128);
  } else {
    min = tmp;
  }
  // The gap: the larger of min/4 and the scale-factor share of the zone.
  tmp = Math.max(Math.floor(tmp / 4), multFrac(managed, scaleFactor, 10000));
  const low = min + tmp;
  const high = low + tmp;
  return [min, low, high, high + tmp];
}

/** sysctl_lowmem_reserve_ratio[] on x86-64: DMA 256, DMA32 256, Normal 32, Movable 0, Device 0. */
export const DEFAULT_LOWMEM_RESERVE_RATIO: readonly number[] = [256, 256, 32, 0, 0];

/**
 * setup_per_zone_lowmem_reserve(): zone i keeps (managed pages of zones i+1..j) / ratio[i] against
 * allocations whose highest usable zone is j. Returns lowmem_reserve[i][j] for MAX_NR_ZONES zones.
 */
export function lowmemReserves(managed: readonly number[], ratio: readonly number[]): number[][] {
  const n = managed.length;
  const out: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row = new Array<number>(n).fill(0);
    const r = ratio[i] ?? 0;
    const clear = r === 0 || managed[i] === 0;
    let sum = 0;
    for (let j = i + 1; j < n; j++) {
      sum += managed[j];
      row[j] = clear ? 0 : Math.floor(sum / r);
    }
    out.push(row);
  }
  return out;
}

/**
 * set_recommended_min_free_kbytes() of mm/khugepaged.c when THP is enabled: two pageblocks per
 * populated lowmem zone plus MIGRATE_PCPTYPES^2 pageblocks for fragmentation avoidance, capped at
 * 5 % of nr_free_buffer_pages(), in KiB. The caller keeps the larger of this and min_free_kbytes.
 */
export function thpRecommendedMinFreeKbytes(
  nrPopulatedLowmemZones: number,
  pageblockNrPages: number,
  nrFreeBufferPages: number,
): number {
  let recommended = pageblockNrPages * nrPopulatedLowmemZones * 2;
  recommended += pageblockNrPages * nrPopulatedLowmemZones * MIGRATE_PCPTYPES * MIGRATE_PCPTYPES;
  recommended = Math.min(recommended, Math.floor(nrFreeBufferPages / 20));
  return recommended * (1 << (PAGE_SHIFT - 10));
}
