/**
 * What matches the capture and what does not, with the reason and its size: zoneinfo's managed
 * pages, watermarks and protection; free pages against MemFree (per-cpu lists and the time
 * between the dump and the /proc snapshots explain the gap); buddyinfo order by order; the
 * pageblock and mixed-block tables of pagetypeinfo.
 */
import { MAX_NR_ZONES, MIGRATETYPE_NAMES, ZONE_NAMES } from "@mm/api";
import type { BuddyinfoRow, BuddyMachine, Pagetypeinfo } from "@mm/buddy";
import type { DumpRecords } from "./dump.js";
import type { BootPlan } from "./memblock.js";
import type { OwnerIndex } from "./place.js";
import type { ZoneinfoZone } from "./zoneinfo.js";

/** One compared number. */
export interface Compared {
  readonly imported: number;
  readonly real: number;
  readonly equal: boolean;
}

function cmp(imported: number, real: number): Compared {
  return { imported, real, equal: imported === real };
}

/** A zone against its zoneinfo block. */
export interface ZoneMatch {
  readonly zone: string;
  readonly present: Compared;
  readonly spanned: Compared;
  readonly managed: Compared;
  readonly min: Compared;
  readonly low: Compared;
  readonly high: Compared;
  readonly protection: { readonly imported: readonly number[]; readonly real: readonly number[]; readonly equal: boolean };
}

/** Free pages of a zone, and why the import's count differs from the kernel's. */
export interface FreeMatch {
  readonly zone: string;
  /** Free pages of the imported machine. */
  readonly imported: number;
  /** zoneinfo `pages free` (NR_FREE_PAGES, pcp lists not included). */
  readonly real: number;
  readonly diff: number;
  /** Pages on the per-cpu lists (zoneinfo pagesets `count:`): free to page_owner, not in NR_FREE_PAGES. */
  readonly pcpPages: number;
  /**
   * Pages the dump holds beyond what zoneinfo accounts as allocated (managed - free - pcp): the
   * allocations and frees between the two reads. diff = pcpPages - drift - reservedShortfall.
   */
  readonly drift: number;
  /** Reserved pages that found no pfn outside the dump (they are counted in the drift as well). */
  readonly reservedShortfall: number;
}

/** One zone's buddyinfo row, imported against real. */
export interface BuddyinfoMatch {
  readonly zone: string;
  readonly imported: readonly number[];
  readonly real: readonly number[];
  readonly diff: readonly number[];
  readonly importedPages: number;
  readonly realPages: number;
  /** zoneinfo `pages free` of the zone (null without zoneinfo): imported - real = (imported - this) + (this - real). */
  readonly zoneinfoFree: number | null;
}

/** Pagetypeinfo's block tables, imported against real. */
export interface PagetypeinfoMatch {
  readonly types: readonly string[];
  readonly blocks: readonly { readonly zone: string; readonly imported: readonly number[]; readonly real: readonly number[]; readonly equal: boolean }[];
  /** Null when the real pagetypeinfo has no mixed section (page_owner off). */
  readonly mixed: readonly { readonly zone: string; readonly imported: readonly number[]; readonly real: readonly number[]; readonly equal: boolean }[] | null;
}

/** The whole match report. */
export interface MatchReport {
  readonly zones: readonly ZoneMatch[] | null;
  readonly watermarksEqual: boolean | null;
  readonly free: {
    readonly imported: number;
    /** meminfo MemFree in pages, or null. */
    readonly memFree: number | null;
    readonly diffToMemFree: number | null;
    readonly zones: readonly FreeMatch[] | null;
    /** The zone rows' pcp - drift - shortfall add up to the zoneinfo difference (an identity once managed matches). */
    readonly explained: boolean | null;
    /** meminfo MemFree - zoneinfo free: the two files were read at different moments. */
    readonly meminfoVsZoneinfo: number | null;
  };
  readonly buddyinfo: {
    readonly zones: readonly BuddyinfoMatch[];
    /** Real buddyinfo free pages - zoneinfo free pages: how much changed between those two reads. */
    readonly realVsZoneinfo: number | null;
    /** Pages in blocks of order >= 9, imported vs real (what THP and the what-if care about). */
    readonly highOrderPages: Compared;
  } | null;
  readonly pagetypeinfo: PagetypeinfoMatch | null;
  /** Mixed blocks per zone from the dump (always computed). */
  readonly mixedFromDump: readonly { readonly zone: string; readonly counts: readonly number[] }[];
}

/** Build the report. */
export function compareCapture(args: {
  machine: BuddyMachine;
  dump: DumpRecords;
  index: OwnerIndex;
  plan: BootPlan;
  zoneinfo: readonly ZoneinfoZone[] | null;
  meminfo: Readonly<Record<string, number>> | null;
  buddyinfo: readonly BuddyinfoRow[] | null;
  pagetypeinfo: Pagetypeinfo | null;
  mixed: readonly (readonly number[])[];
}): MatchReport {
  const { machine: m, zoneinfo, meminfo, buddyinfo, pagetypeinfo } = args;
  const populated = m.zones.filter((z) => z.populated);
  const zrow = (name: string): ZoneinfoZone | undefined => zoneinfo?.find((r) => r.node === 0 && r.name === name);

  let zones: ZoneMatch[] | null = null;
  let watermarksEqual: boolean | null = null;
  if (zoneinfo !== null) {
    zones = [];
    for (let zi = 0; zi < MAX_NR_ZONES; zi++) {
      const z = m.zones[zi];
      const r = zrow(ZONE_NAMES[zi]);
      if (r === undefined) continue;
      const prot = [...z.lowmemReserve].slice(0, r.protection.length);
      zones.push({
        zone: ZONE_NAMES[zi],
        present: cmp(z.present, r.present),
        spanned: cmp(z.spanned, r.spanned),
        managed: cmp(z.managed, r.managed),
        min: cmp(z.wmarkMin, r.min),
        low: cmp(z.wmarkLow, r.low),
        high: cmp(z.wmarkHigh, r.high),
        protection: { imported: prot, real: r.protection, equal: prot.every((v, i) => v === r.protection[i]) },
      });
    }
    watermarksEqual = zones.every((z) => z.managed.equal && z.min.equal && z.low.equal && z.high.equal && z.protection.equal);
  }

  // Dump pages per zone.
  const dumpPages = new Array<number>(MAX_NR_ZONES).fill(0);
  for (let i = 0; i < args.dump.count; i++) if (args.index.accepted[i] === 1) dumpPages[m.zoneOf(args.dump.pfn[i])] += 2 ** args.dump.order[i];
  const importedFree = m.freePagesTotal();
  const memFree = meminfo?.MemFree !== undefined ? Math.floor(meminfo.MemFree / 4) : null;
  let freeZones: FreeMatch[] | null = null;
  let explained: boolean | null = null;
  let zoneinfoFree: number | null = null;
  if (zoneinfo !== null) {
    freeZones = [];
    zoneinfoFree = 0;
    explained = true;
    for (const z of populated) {
      const r = zrow(ZONE_NAMES[z.idx]);
      if (r === undefined) continue;
      zoneinfoFree += r.free;
      const drift = dumpPages[z.idx] - (r.managed - r.free - r.pcpPages);
      const short = args.plan.reservedShortfall[z.idx];
      const diff = z.freePages - r.free;
      freeZones.push({ zone: ZONE_NAMES[z.idx], imported: z.freePages, real: r.free, diff, pcpPages: r.pcpPages, drift, reservedShortfall: short });
      // managed equal => imported free = managed - dumpPages (+ shortfall) = free + pcp - drift (+ shortfall)
      if (diff !== r.pcpPages - drift + short || z.managed !== r.managed) explained = false;
    }
  }

  let bi: MatchReport["buddyinfo"] = null;
  if (buddyinfo !== null) {
    const mine = m.buddyinfoRows();
    const rows: BuddyinfoMatch[] = [];
    let realPagesAll = 0;
    let hiImp = 0;
    let hiReal = 0;
    for (const real of buddyinfo) {
      const imp = mine.find((r) => r.node === real.node && r.zone === real.zone);
      const ic = imp?.counts ?? real.counts.map(() => 0);
      const pages = (c: readonly number[]): number => c.reduce((s, n, o) => s + n * 2 ** o, 0);
      realPagesAll += pages(real.counts);
      for (let o = m.pageblockOrder; o < real.counts.length; o++) {
        hiImp += (ic[o] ?? 0) * 2 ** o;
        hiReal += real.counts[o] * 2 ** o;
      }
      rows.push({
        zone: real.zone,
        imported: ic,
        real: real.counts,
        diff: real.counts.map((n, o) => (ic[o] ?? 0) - n),
        importedPages: pages(ic),
        realPages: pages(real.counts),
        zoneinfoFree: zrow(real.zone)?.free ?? null,
      });
    }
    bi = { zones: rows, realVsZoneinfo: zoneinfoFree === null ? null : realPagesAll - zoneinfoFree, highOrderPages: cmp(hiImp, hiReal) };
  }

  let pti: PagetypeinfoMatch | null = null;
  const mixedFromDump = populated.map((z) => ({ zone: ZONE_NAMES[z.idx], counts: [...args.mixed[z.idx]] }));
  if (pagetypeinfo !== null) {
    const types = pagetypeinfo.types;
    const tIdx = types.map((t) => MIGRATETYPE_NAMES.indexOf(t));
    const mine = m.pagetypeinfoData((zone) => args.mixed[zone]);
    const blocks = pagetypeinfo.blocks.map((real) => {
      const imp = mine.blocks.find((b) => b.zone === real.zone && b.node === real.node);
      const ic = imp === undefined ? real.counts.map(() => 0) : types.map((t) => imp.counts[mine.types.indexOf(t)] ?? 0);
      return { zone: real.zone, imported: ic, real: real.counts, equal: ic.every((v, i) => v === real.counts[i]) };
    });
    const mixed =
      pagetypeinfo.mixed === undefined
        ? null
        : pagetypeinfo.mixed.map((real) => {
            const zi = ZONE_NAMES.indexOf(real.zone);
            const ic = tIdx.map((t) => (zi < 0 || t < 0 ? 0 : args.mixed[zi][t]));
            return { zone: real.zone, imported: ic, real: real.counts, equal: ic.every((v, i) => v === real.counts[i]) };
          });
    pti = { types, blocks, mixed };
  }

  return {
    zones,
    watermarksEqual,
    free: {
      imported: importedFree,
      memFree,
      diffToMemFree: memFree === null ? null : importedFree - memFree,
      zones: freeZones,
      explained,
      meminfoVsZoneinfo: memFree === null || zoneinfoFree === null ? null : memFree - zoneinfoFree,
    },
    buddyinfo: bi,
    pagetypeinfo: pti,
    mixedFromDump,
  };
}
