/**
 * Fragmentation by owner on an imported machine: which allocation stacks put unmovable or
 * reclaimable pages inside Movable pageblocks (the mixing pagetypeinfo counts), which owners stand
 * in the way of an order-9 / order-10 allocation in each block, and the extfrag indices
 * (/sys/kernel/debug/extfrag, mm/vmstat.c) of the imported and the real free lists.
 */
import { MIGRATE_CMA, MIGRATE_MOVABLE, MIGRATETYPE_NAMES, ZONE_NAMES } from "@mm/api";
import { formatExtfragIndex, formatUnusableIndex, PB_RESERVED, type BuddyinfoRow, type BuddyMachine } from "@mm/buddy";
import type { DumpRecords } from "../dump.js";
import type { OwnerIndex } from "../place.js";

/** One allocation stack, as the report names it. */
export interface OwnerStack {
  /** StackStore handle (the key other tables use). */
  readonly handle: number;
  readonly frames: readonly string[];
  /** The comm with most pages from this stack. */
  readonly topComm: string;
}

/** A stack's unmovable / reclaimable pages inside Movable (or CMA) pageblocks. */
export interface Polluter {
  readonly handle: number;
  readonly migratetype: string;
  readonly pages: number;
  readonly records: number;
  readonly pageblocks: number;
}

/** Why blocks of one order cannot be allocated, counted over every aligned block of every zone. */
export interface BlockCensus {
  readonly order: number;
  /** Blocks entirely free: the allocation succeeds there. */
  readonly free: number;
  /** Blocks whose allocated pages are all movable: compaction could empty them. */
  readonly movableOnly: number;
  /** Blocks holding an unmovable or reclaimable allocation: only freeing it helps. */
  readonly pinned: number;
  /**
   * Blocks with reserved pages or holes (memblock, the kernel image): never allocatable. Where the
   * import inferred the reserved pages' places (BootPlan.reservedInferred), this count rests on
   * that inference: smallest gaps first spreads them over more blocks than one contiguous
   * reservation would.
   */
  readonly reserved: number;
  /** The stacks behind the pinned blocks: blocks pinned and their non-movable pages. */
  readonly blockers: readonly { readonly handle: number; readonly blocks: number; readonly pages: number }[];
}

/** One pageblock an order-9 allocation cannot use, and who holds it. */
export interface PinnedBlock {
  readonly pfn: number;
  readonly zone: string;
  readonly type: string;
  readonly freePages: number;
  /** Non-movable allocations in it, by stack. */
  readonly owners: readonly { readonly handle: number; readonly pages: number; readonly migratetype: string }[];
  /** Movable pages in it (compaction could move them). */
  readonly movablePages: number;
}

/** The whole what-if. */
export interface OwnerFragmentation {
  readonly polluters: readonly Polluter[];
  readonly census: readonly BlockCensus[];
  readonly pinnedPageblocks: readonly PinnedBlock[];
  readonly stacks: readonly OwnerStack[];
  /** extfrag/unusable_index and extfrag/extfrag_index of the imported machine. */
  readonly unusableIndex: string;
  readonly extfragIndex: string;
  /** The same computed from the capture's own buddyinfo, when it has one. */
  readonly realUnusableIndex: string | null;
  readonly realExtfragIndex: string | null;
}

/** Options of {@link ownerFragmentation}. */
export interface OwnerFragmentationOptions {
  /** Stacks listed per table. @defaultValue 20 */
  readonly top?: number;
}

/** Compute the fragmentation-by-owner tables. */
export function ownerFragmentation(
  m: BuddyMachine,
  d: DumpRecords,
  idx: OwnerIndex,
  realBuddyinfo: readonly BuddyinfoRow[] | null,
  options: OwnerFragmentationOptions = {},
): OwnerFragmentation {
  const top = options.top ?? 20;
  const pb = 2 ** m.pageblockOrder;
  const wanted = new Set<number>();

  // ---- unmovable / reclaimable pages in movable pageblocks -------------------------------------
  const pol = new Map<string, { handle: number; mt: number; pages: number; records: number; blocks: Set<number> }>();
  for (let i = 0; i < d.count; i++) {
    if (idx.accepted[i] === 0 || d.mt[i] === MIGRATE_MOVABLE) continue;
    const s = d.pfn[i];
    const n = 2 ** d.order[i];
    for (let b = s - (s % pb); b < s + n; b += pb) {
      const bmt = m.pageblockMigratetype(b);
      if (bmt !== MIGRATE_MOVABLE && bmt !== MIGRATE_CMA) continue;
      const key = `${d.handle[i]}:${d.mt[i]}`;
      let e = pol.get(key);
      if (e === undefined) {
        e = { handle: d.handle[i], mt: d.mt[i], pages: 0, records: 0, blocks: new Set() };
        pol.set(key, e);
      }
      e.pages += Math.min(n, pb);
      e.blocks.add(b);
      if (b === s - (s % pb)) e.records++;
    }
  }
  const polluters = [...pol.values()]
    .sort((a, b) => b.blocks.size - a.blocks.size || b.pages - a.pages || a.handle - b.handle)
    .slice(0, top)
    .map((e) => {
      wanted.add(e.handle);
      return { handle: e.handle, migratetype: MIGRATETYPE_NAMES[e.mt], pages: e.pages, records: e.records, pageblocks: e.blocks.size };
    });

  // ---- who blocks an order-o allocation --------------------------------------------------------
  const census: BlockCensus[] = [];
  const pinnedPageblocks: PinnedBlock[] = [];
  for (const order of [m.pageblockOrder, m.maxOrder]) {
    const size = 2 ** order;
    let free = 0;
    let movableOnly = 0;
    let pinned = 0;
    let reserved = 0;
    const blockers = new Map<number, { blocks: number; pages: number }>();
    for (const z of m.zones) {
      if (!z.populated) continue;
      for (let b = Math.ceil(z.startPfn / size) * size; b + size <= z.endPfn; b += size) {
        let res = false;
        let freePages = 0;
        let movable = 0;
        const owners = new Map<number, { pages: number; mt: number }>();
        for (let p = b; p < b + size; ) {
          if (!m.isPresent(p) || (m.flags[p] & PB_RESERVED) !== 0) {
            res = true;
            p++;
            continue;
          }
          if (m.isFree(p)) {
            freePages += 2 ** m.buddyOrder(p);
            p += 2 ** m.buddyOrder(p);
            continue;
          }
          const r = p < idx.recOf.length ? idx.recOf[p] : -1;
          if (r === -1) {
            p++;
            continue;
          }
          const e = Math.min(d.pfn[r] + 2 ** d.order[r], b + size);
          const pages = e - p;
          if (d.mt[r] === MIGRATE_MOVABLE) movable += pages;
          else {
            const o = owners.get(d.handle[r]);
            if (o === undefined) owners.set(d.handle[r], { pages, mt: d.mt[r] });
            else o.pages += pages;
          }
          p = e;
        }
        if (res) reserved++;
        else if (owners.size > 0) {
          pinned++;
          for (const [h, o] of owners) {
            const x = blockers.get(h);
            if (x === undefined) blockers.set(h, { blocks: 1, pages: o.pages });
            else {
              x.blocks++;
              x.pages += o.pages;
            }
          }
          if (order === m.pageblockOrder) {
            pinnedPageblocks.push({
              pfn: b,
              zone: ZONE_NAMES[z.idx],
              type: MIGRATETYPE_NAMES[m.pageblockMigratetype(b)],
              freePages,
              owners: [...owners].sort((x, y) => y[1].pages - x[1].pages || x[0] - y[0]).map(([h, o]) => ({ handle: h, pages: o.pages, migratetype: MIGRATETYPE_NAMES[o.mt] })),
              movablePages: movable,
            });
            for (const h of owners.keys()) wanted.add(h);
          }
        } else if (movable > 0) movableOnly++;
        else free++;
      }
    }
    const top20 = [...blockers].sort((x, y) => y[1].blocks - x[1].blocks || y[1].pages - x[1].pages || x[0] - y[0]).slice(0, top);
    for (const [h] of top20) wanted.add(h);
    census.push({ order, free, movableOnly, pinned, reserved, blockers: top20.map(([h, x]) => ({ handle: h, blocks: x.blocks, pages: x.pages })) });
  }

  // ---- the stacks named above --------------------------------------------------------------------
  const commPages = new Map<number, Map<number, number>>();
  for (let i = 0; i < d.count; i++) {
    if (idx.accepted[i] === 0 || !wanted.has(d.handle[i])) continue;
    let cm = commPages.get(d.handle[i]);
    if (cm === undefined) {
      cm = new Map<number, number>();
      commPages.set(d.handle[i], cm);
    }
    cm.set(d.comm[i], (cm.get(d.comm[i]) ?? 0) + 2 ** d.order[i]);
  }
  const stacks: OwnerStack[] = [...wanted].sort((a, b) => a - b).map((h) => {
    const cm = [...(commPages.get(h) ?? new Map<number, number>())].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    return { handle: h, frames: d.stacks.get(h) ?? [], topComm: cm.length > 0 ? d.comms[cm[0][0]] : "" };
  });

  const rows = m.buddyinfoRows();
  return {
    polluters,
    census,
    pinnedPageblocks,
    stacks,
    unusableIndex: formatUnusableIndex(rows),
    extfragIndex: formatExtfragIndex(rows),
    realUnusableIndex: realBuddyinfo === null ? null : formatUnusableIndex(realBuddyinfo),
    realExtfragIndex: realBuddyinfo === null ? null : formatExtfragIndex(realBuddyinfo),
  };
}
