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
