/**
 * The data of /proc/buddyinfo and /proc/pagetypeinfo, read from the node (procfs.ts formats it).
 * Kernel counterpart: mm/vmstat.c (frag_show_print, pagetypeinfo_showfree_print,
 * pagetypeinfo_showblockcount_print, pagetypeinfo_showmixedcount).
 */
import { MIGRATE_TYPES, MIGRATETYPE_NAMES, PAGES_PER_SECTION, printedMigratetypes } from "@mm/api";
import { listHead, type NodeState } from "./internal/node.js";
import { type BuddyinfoRow, PAGETYPEINFO_CAP, type Pagetypeinfo, type PagetypeinfoBlockRow, type PagetypeinfoFreeRow } from "./procfs.js";

/** The rows of /proc/buddyinfo (populated zones). */
export function buddyinfoRows(s: NodeState): BuddyinfoRow[] {
  const rows: BuddyinfoRow[] = [];
  for (const z of s.zones) {
    if (!z.populated) continue;
    const counts: number[] = [];
    for (let o = 0; o <= s.maxOrder; o++) counts.push(s.nrFreeArr[z.idx * s.nrOrders + o]);
    rows.push({ node: 0, zone: z.name, counts });
  }
  return rows;
}

/** Length of free_area[order].free_list[mt], walked and capped as pagetypeinfo does. */
export function freeListLength(s: NodeState, zone: number, order: number, mt: number, cap: number): number {
  const h = listHead(s, zone, order, mt);
  let n = 0;
  for (let p = s.next[h]; p !== h; p = s.next[p]) if (++n >= cap) break;
  return n;
}

/** The data of /proc/pagetypeinfo; `mixedCounts(zone)` (from page_owner) adds the mixed-blocks table. */
export function pagetypeinfoData(s: NodeState, mixedCounts?: (zone: number) => ArrayLike<number>): Pagetypeinfo {
  const mts = printedMigratetypes(s.config);
  const free: PagetypeinfoFreeRow[] = [];
  const blocks: PagetypeinfoBlockRow[] = [];
  const mixed: PagetypeinfoBlockRow[] = [];
  for (const z of s.zones) {
    if (!z.populated) continue;
    for (const mt of mts) {
      const counts: number[] = [];
      const overflow: boolean[] = [];
      for (let o = 0; o <= s.maxOrder; o++) {
        const n = freeListLength(s, z.idx, o, mt, PAGETYPEINFO_CAP);
        counts.push(n);
        overflow.push(n >= PAGETYPEINFO_CAP);
      }
      free.push({ node: 0, zone: z.name, type: MIGRATETYPE_NAMES[mt], counts, overflow });
    }
    // pagetypeinfo_showblockcount_print: one sample per pageblock stride from zone_start_pfn.
    const count = new Array<number>(MIGRATE_TYPES).fill(0);
    for (let pfn = z.startPfn; pfn < z.endPfn; pfn += s.pageblockNrPages) {
      if (s.sectionOnline[Math.floor(pfn / PAGES_PER_SECTION)] === 0) continue;
      count[s.pageblockMt[pfn >>> s.pageblockOrder]]++;
    }
    blocks.push({ node: 0, zone: z.name, counts: mts.map((mt) => count[mt]) });
    if (mixedCounts !== undefined) {
      const c = mixedCounts(z.idx);
      mixed.push({ node: 0, zone: z.name, counts: mts.map((mt) => c[mt] ?? 0) });
    }
  }
  return {
    pageblockOrder: s.pageblockOrder,
    pagesPerBlock: s.pageblockNrPages,
    nrOrders: s.nrOrders,
    free,
    types: mts.map((mt) => MIGRATETYPE_NAMES[mt]),
    blocks,
    mixed: mixedCounts === undefined ? undefined : mixed,
  };
}
