/**
 * Fragmentation over time: samples of a machine's free memory at even intervals of trace time —
 * the kernel's unusable and fragmentation indices per zone and order (mm/vmstat.c), LLFree's
 * free-huge %, and the pageblocks whose allocations mix migratetypes (what page_owner's "Number
 * of mixed blocks" counts, judged from the allocations' gfp since a trace does not say which type
 * the kernel gave each pageblock).
 */
import { PAGEBLOCK_ORDER } from "@mm/api";
import { type BuddyMachine, contigPageInfo, fragmentationIndex, PB_ALLOC, PB_BUDDY, unusableFreeIndex } from "@mm/buddy";
import { freeHugePercent, zoneCounts } from "./fragmentation.js";

export interface ZoneSample {
  readonly zone: string;
  readonly freePages: number;
  /** Thousandths, per order 0..maxOrder. */
  readonly unusableIndex: readonly number[];
  readonly fragmentationIndex: readonly number[];
}

export interface FragmentationSample {
  readonly tsNs: number;
  /** Events applied before this sample. */
  readonly event: number;
  readonly freePages: number;
  readonly freeHugePercent: number;
  readonly mixedPageblocks: number;
  readonly zones: readonly ZoneSample[];
}

function zonesOf(m: BuddyMachine): number[] {
  const out: number[] = [];
  for (let z = 0; z < m.zones.length; z++) if (m.zoneManagedPages(z) > 0) out.push(z);
  return out;
}

/** Pageblocks holding allocations of more than one migratetype (unknown ones do not count). */
export function mixedPageblocks(m: BuddyMachine, allocMt: Uint8Array): number {
  const flags = m.flags;
  const order = m.order;
  const pbPages = 2 ** PAGEBLOCK_ORDER;
  let mixed = 0;
  for (let pb = m.startPfn - (m.startPfn % pbPages); pb < m.endPfn; pb += pbPages) {
    let seen = 0;
    const end = Math.min(pb + pbPages, m.endPfn);
    for (let p = Math.max(pb, m.startPfn); p < end; ) {
      const f = flags[p];
      if (f & PB_ALLOC) {
        const mt = allocMt[p];
        if (mt < 8) seen |= 1 << mt;
        p += 2 ** order[p];
      } else if (f & PB_BUDDY) p += 2 ** order[p];
      else p++;
    }
    if (seen & (seen - 1)) mixed++;
  }
  return mixed;
}

export function sampleFragmentation(m: BuddyMachine, allocMt: Uint8Array, tsNs: number, event: number): FragmentationSample {
  const zs = zonesOf(m);
  const zones: ZoneSample[] = [];
  const counts: number[] = [];
  for (const z of zs) {
    zoneCounts(m, z, counts);
    const unusable: number[] = [];
    const frag: number[] = [];
    for (let o = 0; o <= m.maxOrder; o++) {
      const info = contigPageInfo(counts, o);
      unusable.push(unusableFreeIndex(o, info));
      frag.push(fragmentationIndex(o, info));
    }
    zones.push({ zone: m.zoneName(z), freePages: m.zoneFreePages(z), unusableIndex: unusable, fragmentationIndex: frag });
  }
  return {
    tsNs,
    event,
    freePages: m.freePagesTotal(),
    freeHugePercent: Math.round(freeHugePercent(m, zs) * 100) / 100,
    mixedPageblocks: mixedPageblocks(m, allocMt),
    zones,
  };
}
