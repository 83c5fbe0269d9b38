/**
 * Boot the capture's machine and pick the watermark history that reproduces its zoneinfo. The
 * watermarks a kernel shows depend on what happened after boot as well as on the memory map:
 * whether THP was on at boot (hugepage_init, which turns it off below 512 MiB of totalram) or
 * switched on later (set_recommended_min_free_kbytes with the final managed counts), or a
 * vm.min_free_kbytes the admin wrote. Each hypothesis is one @mm/buddy boot; the first whose
 * min/low/high and protection equal zoneinfo's wins, in the order the capture's own evidence
 * (command line, AnonHugePages) makes likely. Without zoneinfo the evidence alone decides.
 */
import { MAX_NR_ZONES, ZONE_NAMES } from "@mm/api";
import { createMachine, type BuddyMachine, type MachineOptions } from "@mm/buddy";
import type { BootPlan } from "./memblock.js";
import type { ZoneinfoZone } from "./zoneinfo.js";

/** One watermark history. */
export interface WatermarkHistory {
  /** THP enabled when the capture was taken. */
  readonly thp: boolean;
  /** THP enabled by the config at boot (only matters at >= 512 MiB). */
  readonly thpAtBoot: boolean;
  /** vm.min_free_kbytes written by the admin, or null. */
  readonly minFreeKbytes: number | null;
  readonly label: string;
}

/** How the history was chosen. */
export interface BootChoice {
  readonly history: WatermarkHistory;
  /** "zoneinfo": its watermarks matched; "evidence": no zoneinfo or nothing matched. */
  readonly chosenBy: "zoneinfo" | "evidence";
  readonly tried: readonly { readonly label: string; readonly matches: boolean }[];
  readonly evidence: readonly string[];
}

/** MachineOptions for a plan under a history. */
export function machineOptions(plan: BootPlan, h: WatermarkHistory, cma: boolean): MachineOptions {
  return {
    ranges: plan.ranges,
    reserved: plan.reserved,
    lateFree: plan.lateFree,
    thp: h.thp,
    thpAtBoot: h.thpAtBoot,
    ...(h.minFreeKbytes !== null ? { minFreeKbytes: h.minFreeKbytes } : {}),
    config: { cma, isolation: true },
  };
}

/** Do the machine's watermarks and lowmem_reserve equal zoneinfo's, zone by zone? */
export function watermarksMatch(m: BuddyMachine, zoneinfo: readonly ZoneinfoZone[]): boolean {
  for (let z = 0; z < MAX_NR_ZONES; z++) {
    const row = zoneinfo.find((r) => r.node === 0 && r.name === ZONE_NAMES[z]);
    if (row === undefined) continue;
    const mz = m.zones[z];
    if (mz.managed !== row.managed || mz.wmarkMin !== row.min || mz.wmarkLow !== row.low || mz.wmarkHigh !== row.high) return false;
    for (let j = 0; j < row.protection.length && j < MAX_NR_ZONES; j++) if (mz.lowmemReserve[j] !== row.protection[j]) return false;
  }
  return true;
}

/** Evidence about THP in the capture. */
export function thpEvidence(commandLine: string | null, meminfo: Readonly<Record<string, number>> | null, zoneinfo: readonly ZoneinfoZone[] | null): { thp: boolean | null; notes: string[] } {
  const notes: string[] = [];
  const m = commandLine === null ? null : /(?:^| )transparent_hugepage=(\S+)/.exec(commandLine);
  if (m !== null) {
    notes.push(`command line transparent_hugepage=${m[1]}`);
    return { thp: m[1] !== "never", notes };
  }
  const anon = meminfo?.AnonHugePages ?? null;
  const shmem = meminfo?.ShmemHugePages ?? null;
  if (anon !== null && anon + (shmem ?? 0) > 0) {
    notes.push(`meminfo AnonHugePages ${anon} kB: THP was enabled`);
    return { thp: true, notes };
  }
  const thpPages = zoneinfo?.find((z) => z.counters.nr_anon_transparent_hugepages !== undefined)?.counters.nr_anon_transparent_hugepages;
  if (thpPages !== undefined && thpPages > 0) {
    notes.push(`zoneinfo nr_anon_transparent_hugepages ${thpPages}: THP was enabled`);
    return { thp: true, notes };
  }
  if (anon !== null) notes.push("meminfo AnonHugePages 0 kB: no THP in use");
  return { thp: anon === null ? null : false, notes };
}

/**
 * Boot under each history and return the first that reproduces zoneinfo (or the evidence's pick).
 * @returns the booted machine and how it was chosen
 */
export function bootCapture(
  plan: BootPlan,
  zoneinfo: readonly ZoneinfoZone[] | null,
  evidence: { thp: boolean | null; notes: string[] },
  cma: boolean,
): { machine: BuddyMachine; choice: BootChoice } {
  const base: WatermarkHistory[] = [
    { thp: false, thpAtBoot: false, minFreeKbytes: null, label: "THP off" },
    { thp: true, thpAtBoot: true, minFreeKbytes: null, label: "THP on from boot (hugepage_init)" },
    { thp: true, thpAtBoot: false, minFreeKbytes: null, label: "THP switched on after boot" },
  ];
  if (evidence.thp === true) base.push(base.shift()!); // THP-on histories first
  const tried: { label: string; matches: boolean }[] = [];
  const seen = new Set<string>();
  if (zoneinfo !== null) {
    let first: BuddyMachine | null = null;
    const attempt = (h: WatermarkHistory): BuddyMachine | null => {
      const m = createMachine(machineOptions(plan, h, cma));
      const key = JSON.stringify(m.zones.map((z) => [z.wmarkMin, z.wmarkLow, z.wmarkHigh, ...z.lowmemReserve]));
      if (seen.has(key)) return null; // the same numbers as an earlier history
      seen.add(key);
      first ??= m;
      const ok = watermarksMatch(m, zoneinfo);
      tried.push({ label: h.label, matches: ok });
      return ok ? m : null;
    };
    for (const h of base) {
      const m = attempt(h);
      if (m !== null) return { machine: m, choice: { history: h, chosenBy: "zoneinfo", tried, evidence: evidence.notes } };
    }
    // vm.min_free_kbytes set by hand: the zones' min watermarks sum to about min_free_kbytes / 4.
    let sumMin = 0;
    let nz = 0;
    for (const r of zoneinfo) {
      if (r.managed === 0) continue;
      sumMin += r.min;
      nz++;
    }
    for (let kb = sumMin * 4; kb <= (sumMin + nz) * 4; kb++) {
      const h: WatermarkHistory = { ...base[0], minFreeKbytes: kb, label: `vm.min_free_kbytes = ${kb}` };
      const m = attempt(h);
      if (m !== null) return { machine: m, choice: { history: h, chosenBy: "zoneinfo", tried, evidence: evidence.notes } };
    }
    const h = base[0];
    return { machine: first ?? createMachine(machineOptions(plan, h, cma)), choice: { history: h, chosenBy: "evidence", tried, evidence: evidence.notes } };
  }
  const h = evidence.thp === true ? base[0] : base.find((x) => !x.thp)!;
  return { machine: createMachine(machineOptions(plan, h, cma)), choice: { history: h, chosenBy: "evidence", tried, evidence: evidence.notes } };
}

/**
 * Without dmesg the pages freed after init_per_zone_wmark_min (initrd, init sections) are not
 * known, yet they shape what zoneinfo shows: lowmem_reserve is computed from the managed pages
 * *before* those frees (setup_per_zone_lowmem_reserve runs once there; THP's later
 * set_recommended_min_free_kbytes redoes the watermarks only). Every protection entry can only go
 * down as more pages were freed late, so the count is bisected on the sum of zoneinfo's
 * protection entries, then each count with that sum is checked against every watermark and
 * protection entry under each watermark history. Returns the smallest count that reproduces
 * zoneinfo (with its plan, machine and choice), or null when none does (or when no zone has a
 * non-zero protection entry to steer by).
 * @param planFor - the boot plan with `k` late-freed pages
 */
export function inferLateFrees(
  planFor: (k: number) => BootPlan,
  zoneinfo: readonly ZoneinfoZone[],
  evidence: { thp: boolean | null; notes: string[] },
  cma: boolean,
  maxK: number,
): { k: number; plan: BootPlan; machine: BuddyMachine; choice: BootChoice } | null {
  let target = 0;
  for (const r of zoneinfo) if (r.node === 0) for (let j = 0; j < r.protection.length && j < MAX_NR_ZONES; j++) target += r.protection[j];
  if (target === 0) return null;
  const sumProt = (m: BuddyMachine): number => m.zones.reduce((a, z) => a + z.lowmemReserve.reduce((b, x) => b + x, 0), 0);
  const histories: WatermarkHistory[] = [
    { thp: false, thpAtBoot: false, minFreeKbytes: null, label: "THP off" },
    { thp: true, thpAtBoot: true, minFreeKbytes: null, label: "THP on from boot (hugepage_init)" },
    { thp: true, thpAtBoot: false, minFreeKbytes: null, label: "THP switched on after boot" },
  ];
  if (evidence.thp === true) histories.push(histories.shift()!);
  const plans = new Map<number, BootPlan>();
  const plan = (k: number): BootPlan => {
    let p = plans.get(k);
    if (p === undefined) plans.set(k, (p = planFor(k)));
    return p;
  };
  // lowmem_reserve does not depend on the history: bisect once, on the first.
  const first = (k: number): BuddyMachine => createMachine(machineOptions(plan(k), histories[0], cma));
  if (sumProt(first(0)) < target || sumProt(first(maxK)) > target) return null;
  let lo = 0;
  let hi = maxK;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (sumProt(first(mid)) <= target) hi = mid;
    else lo = mid + 1;
  }
  // The counts with that protection: one lowmem_reserve_ratio step (256 pages for DMA) or so.
  const MAX_SCAN = 8192;
  let end = lo;
  while (end < Math.min(maxK, lo + MAX_SCAN) && sumProt(first(end + 1)) === target) end++;
  for (const h of histories) {
    for (let k = lo; k <= end; k++) {
      const m = createMachine(machineOptions(plan(k), h, cma));
      if (watermarksMatch(m, zoneinfo))
        return { k, plan: plan(k), machine: m, choice: { history: h, chosenBy: "zoneinfo", tried: [{ label: `${h.label}, ${k} pages freed late (inferred)`, matches: true }], evidence: evidence.notes } };
    }
  }
  return null;
}
