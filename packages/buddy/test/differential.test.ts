/**
 * Differential test: @mm/buddy against ReferenceNode (reference-model.ts), the same 6.1 rules
 * written plainly, on a random stream of operations over four zones (DMA, DMA32, Normal and a
 * movablecore= Movable zone) with watermarks, lowmem_reserve, watermark boosting, fallback and
 * pageblock stealing, the HighAtomic reserve (GFP_ATOMIC high orders reserve it, an explicit
 * operation unreserves it) and pages put on and taken off the LRU. Every chosen pfn must be the
 * same, operation by operation, and the whole free state (every list of every zone, order and
 * migratetype in list order, pageblock types, NR_FREE_PAGES, nr_reserved_highatomic,
 * watermark_boost) identical at checkpoints and at the end.
 */
import { describe, expect, it } from "vitest";
import {
  __GFP_COMP,
  __GFP_DMA,
  __GFP_DMA32,
  __GFP_HIGHMEM,
  __GFP_KSWAPD_RECLAIM,
  __GFP_MOVABLE,
  __GFP_NOWARN,
  __GFP_RECLAIMABLE,
  GFP_ATOMIC_6_1,
  MIGRATE_TYPES,
  ZONE_DMA,
  ZONE_DMA32,
  ZONE_MOVABLE,
  ZONE_NORMAL,
} from "@mm/api";
import { type BuddyMachine, createMachine } from "@mm/buddy";
import { unreserveHighatomicPageblock } from "../src/rmqueue.js";
import { ReferenceNode, type RefZoneSpec } from "./reference-model.js";

/** 60k operations per configuration, two configurations: 1.2 x 10^5 per run. */
const OPS = 60_000;
const CHECK_EVERY = 2_000;
const NORMAL = 1 << 20;

/** The masks drawn: no __GFP_DIRECT_RECLAIM (the reference has no reclaim), every zone modifier. */
const GFPS = [
  __GFP_KSWAPD_RECLAIM | __GFP_MOVABLE | __GFP_HIGHMEM, // GFP_HIGHUSER_MOVABLE without reclaim: Movable first
  __GFP_KSWAPD_RECLAIM | __GFP_MOVABLE, // movable, preferred Normal (ALLOC_NOFRAGMENT)
  __GFP_KSWAPD_RECLAIM, // GFP_NOWAIT: unmovable
  __GFP_KSWAPD_RECLAIM | __GFP_RECLAIMABLE,
  GFP_ATOMIC_6_1, // ALLOC_HIGH | ALLOC_HARDER in the slow path; reserves HighAtomic pageblocks
  __GFP_KSWAPD_RECLAIM | __GFP_DMA32,
  __GFP_KSWAPD_RECLAIM | __GFP_DMA,
  0, // no kswapd: a partial steal boosts without waking it
];

interface Config {
  readonly name: string;
  readonly ranges: { startPfn: number; endPfn: number }[];
  readonly movablecore: number;
  /** The zones as find_zone_movable_pfns_for_nodes and zone_spanned_pages_in_node give them, by hand. */
  readonly zones: RefZoneSpec[];
}

const CONFIGS: Config[] = [
  {
    // totalpages 16384, movablecore 2048 pages: kernelcore 14336 = 8192 below 4 GiB + 6144 of Normal.
    name: "16+16 MiB below 4 GiB, 24 MiB Normal, 8 MiB Movable",
    ranges: [
      { startPfn: 0, endPfn: 8192 },
      { startPfn: NORMAL, endPfn: NORMAL + 8192 },
    ],
    movablecore: 8 << 20,
    zones: [
      { idx: ZONE_DMA, startPfn: 0, endPfn: 4096 },
      { idx: ZONE_DMA32, startPfn: 4096, endPfn: NORMAL }, // spans the hole up to 4 GiB
      { idx: ZONE_NORMAL, startPfn: NORMAL, endPfn: NORMAL + 6144 },
      { idx: ZONE_MOVABLE, startPfn: NORMAL + 6144, endPfn: NORMAL + 8192 },
    ],
  },
  {
    // totalpages 24576, movablecore 3000 pages rounds up to 3072: kernelcore 21504 = 16384 + 5120.
    name: "16+48 MiB below 4 GiB, 20 MiB Normal, 12 MiB Movable",
    ranges: [
      { startPfn: 0, endPfn: 16384 },
      { startPfn: NORMAL, endPfn: NORMAL + 8192 },
    ],
    movablecore: 3000 * 4096,
    zones: [
      { idx: ZONE_DMA, startPfn: 0, endPfn: 4096 },
      { idx: ZONE_DMA32, startPfn: 4096, endPfn: NORMAL },
      { idx: ZONE_NORMAL, startPfn: NORMAL, endPfn: NORMAL + 5120 },
      { idx: ZONE_MOVABLE, startPfn: NORMAL + 5120, endPfn: NORMAL + 8192 },
    ],
  },
];

/** The free state of the machine in the reference's terms. */
/** Pageblocks of present memory in [start, end). */
function pageblocks(ranges: Config["ranges"], start: number, end: number, step: number): number[] {
  const out: number[] = [];
  for (const r of ranges) for (let p = Math.max(r.startPfn, start); p < Math.min(r.endPfn, end); p += step) out.push(p);
  return out;
}

function machineState(m: BuddyMachine, zones: readonly RefZoneSpec[], ranges: Config["ranges"]): string {
  const out: string[] = [];
  for (const zs of zones) {
    const z = m.zones[zs.idx];
    out.push(`zone ${zs.idx} free ${z.freePages} ha ${z.nrReservedHighatomic} boost ${z.watermarkBoost}`);
    for (let o = 0; o <= m.maxOrder; o++)
      for (let mt = 0; mt < MIGRATE_TYPES; mt++) {
        const l: number[] = [];
        for (let p = m.freeListFirst(zs.idx, o, mt); p >= 0; p = m.freeListNext(p)) l.push(p);
        if (l.length > 0) out.push(`${zs.idx}/${o}/${mt}: ${l.join(",")}`);
      }
    const pb = pageblocks(ranges, zs.startPfn, zs.endPfn, m.pageblockNrPages).map((p) => m.pageblockMigratetype(p));
    out.push(`pageblocks ${pb.join("")}`);
  }
  return out.join("\n");
}

function refState(r: ReferenceNode, ranges: Config["ranges"]): string {
  const out: string[] = [];
  for (const z of r.zones) {
    out.push(`zone ${z.idx} free ${z.freePages} ha ${z.nrReservedHighatomic} boost ${z.boost}`);
    for (let o = 0; o <= r.maxOrder; o++)
      for (let mt = 0; mt < MIGRATE_TYPES; mt++) {
        const l = r.list(z.idx, o, mt);
        if (l.length > 0) out.push(`${z.idx}/${o}/${mt}: ${l.join(",")}`);
      }
    const pb = pageblocks(ranges, z.startPfn, z.endPfn, r.pbPages).map((p) => r.pageblockMt(p));
    out.push(`pageblocks ${pb.join("")}`);
  }
  return out.join("\n");
}

interface Tally {
  allocs: number;
  fails: number;
  lru: number;
  unreserved: number;
  highatomicSeen: boolean;
  boostSeen: boolean;
  stolen: number;
  zonesUsed: Set<number>;
}

function run(cfg: Config, seed: number): Tally {
  const m = createMachine({ ranges: cfg.ranges, movablecore: cfg.movablecore });
  for (const zs of cfg.zones) {
    expect([m.zones[zs.idx].startPfn, m.zones[zs.idx].endPfn]).toEqual([zs.startPfn, zs.endPfn]);
  }
  const ref = new ReferenceNode(cfg.zones, cfg.ranges);
  // Boot, watermarks and lowmem_reserve computed independently.
  for (const z of ref.zones) {
    const mz = m.zones[z.idx];
    expect([mz.managed, mz.wmarkMin, mz.wmarkLow, mz.wmarkHigh, ...mz.lowmemReserve]).toEqual([z.managed, z.min, z.low, z.high, ...z.lowmemReserve]);
  }
  expect(machineState(m, cfg.zones, cfg.ranges)).toEqual(refState(ref, cfg.ranges));

  let s = seed >>> 0 || 1;
  const rnd = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  const live: { pfn: number; order: number; lruOk: boolean }[] = [];
  const t: Tally = { allocs: 0, fails: 0, lru: 0, unreserved: 0, highatomicSeen: false, boostSeen: false, stolen: 0, zonesUsed: new Set() };
  let total = 0;
  for (const z of ref.zones) total += z.managed;
  let usedPages = 0;
  // Fill toward a target that sweeps between half and nearly full, so the watermarks,
  // lowmem_reserve and fallbacks all come into play.
  for (let i = 0; i < OPS; i++) {
    const target = 0.75 + 0.24 * Math.sin(i / 1500);
    const r = rnd() % 100;
    if (r < 2) {
      const highest = rnd() % 4;
      const mt = rnd() % 3;
      const force = (rnd() & 1) === 1;
      const got = unreserveHighatomicPageblock(m, highest, mt, force);
      const want = ref.unreserveHighatomic(highest, mt, force);
      if (got !== want) throw new Error(`op ${i}: unreserve(${highest}, ${mt}, ${force}): model ${got}, reference ${want}`);
      if (got) t.unreserved++;
    } else if (r < 12 && live.length > 0) {
      const b = live[rnd() % live.length];
      if (!b.lruOk) continue;
      if (m.onLru(b.pfn)) {
        m.lruDel(b.pfn);
        ref.lruDel(b.pfn);
      } else {
        m.lruAdd(b.pfn);
        ref.lruAdd(b.pfn);
        t.lru++;
      }
    } else if (live.length > 0 && (usedPages > target * total || r < 40)) {
      const idx = rnd() % live.length;
      const b = live[idx];
      live[idx] = live[live.length - 1];
      live.pop();
      m.freePages(b.pfn, b.order);
      ref.free(b.pfn, b.order);
      usedPages -= 1 << b.order;
    } else {
      const x = rnd();
      const order = x % 16 < 9 ? 0 : x % 16 < 13 ? 1 + ((x >>> 4) % 3) : x % 16 < 15 ? 4 + ((x >>> 4) % 5) : 9 + ((x >>> 4) % 2);
      const comp = order > 0 && (x >>> 8) % 2 === 0;
      const gfp = GFPS[(x >>> 12) % GFPS.length] | __GFP_NOWARN | (comp ? __GFP_COMP : 0);
      const got = m.allocPages(order, gfp);
      const want = ref.alloc(order, gfp);
      if (got !== want) throw new Error(`op ${i}: alloc order ${order} gfp 0x${gfp.toString(16)}: model ${got}, reference ${want}`);
      if (got < 0) t.fails++;
      else {
        t.allocs++;
        t.zonesUsed.add(m.zoneOf(got));
        live.push({ pfn: got, order, lruOk: order === 0 || comp });
        usedPages += 1 << order;
      }
    }
    for (const z of ref.zones) {
      if (z.nrReservedHighatomic > 0) t.highatomicSeen = true;
      if (z.boost > 0) t.boostSeen = true;
    }
    if (i % CHECK_EVERY === 0) expect(machineState(m, cfg.zones, cfg.ranges)).toEqual(refState(ref, cfg.ranges));
  }
  expect(machineState(m, cfg.zones, cfg.ranges)).toEqual(refState(ref, cfg.ranges));
  t.stolen = m.stats.pageblockSteals;
  m.checkInvariants();
  return t;
}

describe("differential: @mm/buddy vs the plain reference model (4 zones, watermarks, stealing, HighAtomic)", () => {
  for (const [k, cfg] of CONFIGS.entries()) {
    it(`${cfg.name}: the same pfn for each of ${OPS} random operations`, () => {
      const t = run(cfg, [0x9e3779b9, 12345][k]);
      // The stream reaches what it is meant to test (so a pass is not vacuous).
      expect(t.allocs).toBeGreaterThan(OPS / 4);
      expect(t.fails).toBeGreaterThan(0);
      expect([...t.zonesUsed].sort()).toEqual([ZONE_DMA, ZONE_DMA32, ZONE_NORMAL, ZONE_MOVABLE]);
      expect(t.highatomicSeen).toBe(true);
      expect(t.unreserved).toBeGreaterThan(0);
      expect(t.boostSeen).toBe(true);
      expect(t.stolen).toBeGreaterThan(0);
      expect(t.lru).toBeGreaterThan(0);
    });
  }
});
