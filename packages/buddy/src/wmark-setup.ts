/**
 * Computing the watermarks and lowmem reserves, and the sysctls and THP switch that recompute them.
 * Kernel counterpart: mm/page_alloc.c (nr_free_buffer_pages, calculate_min_free_kbytes,
 * __setup_per_zone_wmarks, setup_per_zone_lowmem_reserve, min_free_kbytes_sysctl_handler) and
 * mm/khugepaged.c (start_stop_khugepaged, set_recommended_min_free_kbytes) of 6.1.
 */
import { MAX_NR_ZONES, PAGE_SHIFT, ZONE_NORMAL } from "@mm/api";
import { type NodeState } from "./internal/node.js";
import { intSqrt, lowmemReserves, minFreeKbytesFor, thpRecommendedMinFreeKbytes, zoneWatermarks } from "./watermarks.js";

/** totalram_pages(): managed pages of all zones. */
export function totalramPages(s: NodeState): number {
  let n = 0;
  for (const z of s.zones) n += z.managed;
  return n;
}

/** nr_free_buffer_pages(): sum over zones <= Normal of managed - high (when positive). */
export function nrFreeBufferPages(s: NodeState): number {
  let sum = 0;
  for (let z = 0; z <= ZONE_NORMAL; z++) {
    const zone = s.zones[z];
    const high = zone.wmarkHigh + zone.watermarkBoost;
    if (zone.managed > high) sum += zone.managed - high;
  }
  return sum;
}

/** calculate_min_free_kbytes(): int_sqrt formula unless the user's value is larger. */
export function calculateMinFreeKbytes(s: NodeState): void {
  const pages = nrFreeBufferPages(s);
  // The kernel compares the unclamped int_sqrt value with the user's; minFreeKbytesFor clamps.
  if (intSqrt(pages * (1 << (PAGE_SHIFT - 10)) * 16) > s.userMinFreeKbytes) s.minFreeKbytes = minFreeKbytesFor(pages);
}

/** __setup_per_zone_wmarks(). */
export function setupPerZoneWmarks(s: NodeState): void {
  const pagesMin = s.minFreeKbytes >>> (PAGE_SHIFT - 10);
  // 6.1 x86-64: no HighMem, so every zone (Movable included) is "lowmem" here.
  let lowmem = 0;
  for (const z of s.zones) lowmem += z.managed;
  s.wmarkBasisPagesMin = pagesMin;
  for (const z of s.zones) {
    z.wmarkBasisManaged = z.managed;
    const w = zoneWatermarks(pagesMin, z.managed, lowmem, false, s.watermarkScaleFactor);
    z.wmarkMin = w[0];
    z.wmarkLow = w[1];
    z.wmarkHigh = w[2];
    z.wmarkPromo = w[3];
    z.watermarkBoost = 0;
  }
}

/** setup_per_zone_lowmem_reserve(). */
export function setupPerZoneLowmemReserve(s: NodeState): void {
  const res = lowmemReserves(
    s.zones.map((z) => z.managed),
    s.lowmemReserveRatio,
  );
  for (const z of s.zones) {
    z.lowmemBasisManaged = z.managed;
    for (let j = 0; j < MAX_NR_ZONES; j++) z.lowmemReserve[j] = res[z.idx][j];
  }
}

/** min_free_kbytes_sysctl_handler: the user's value, watermarks recomputed. */
export function setMinFreeKbytes(s: NodeState, kb: number): void {
  s.minFreeKbytes = kb;
  s.userMinFreeKbytes = kb;
  setupPerZoneWmarks(s);
}

/** start_stop_khugepaged(), which always ends in set_recommended_min_free_kbytes(). */
export function startStopKhugepaged(s: NodeState): void {
  s.khugepagedRunning = s.thpEnabled;
  setRecommendedMinFreeKbytes(s);
}

/** set_recommended_min_free_kbytes() of mm/khugepaged.c (6.1). */
function setRecommendedMinFreeKbytes(s: NodeState): void {
  if (!s.thpEnabled) {
    calculateMinFreeKbytes(s);
  } else {
    let nrZones = 0;
    for (let z = 0; z <= ZONE_NORMAL; z++) if (s.zones[z].populated) nrZones++;
    const rec = thpRecommendedMinFreeKbytes(nrZones, s.pageblockNrPages, nrFreeBufferPages(s));
    if (rec > s.minFreeKbytes) s.minFreeKbytes = rec;
  }
  setupPerZoneWmarks(s);
}
