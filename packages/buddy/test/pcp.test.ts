/**
 * Per-cpu page lists (pcp.ts) against 6.1's mm/page_alloc.c: the batch and high arithmetic (and
 * the real 6.1 capture's zoneinfo), the free and refill rules, the drains, conservation.
 */
import { describe, expect, it } from "vitest";
import {
  __GFP_COMP,
  __GFP_NORETRY,
  __GFP_NOWARN,
  GFP_HIGHUSER_MOVABLE,
  GFP_KERNEL,
  isMmError,
  MIGRATE_ISOLATE,
  MIGRATE_MOVABLE,
  ZONE_DMA,
  ZONE_DMA32,
} from "@mm/api";
import { type BuddyMachine, createMachine, formatPagesets, type MachineOptions, zoneBatchsize, zoneHighsize } from "@mm/buddy";
import { FIXTURE_BOOT, readFixture, snapshot } from "./helpers.js";

const MOV = GFP_HIGHUSER_MOVABLE | __GFP_NOWARN;
/** 64 MiB, one DMA32 zone besides DMA, no reserves: pcp high is 4 batches (zone_highsize's floor). */
const PLAIN: MachineOptions = { memoryBytes: 64 << 20, noWatermarks: true, pcp: true };

function dma32(m: BuddyMachine): { count: number; high: number; batch: number } {
  return m.pcpPagesets(ZONE_DMA32)[m.currentCpu];
}

describe("zone_batchsize and zone_highsize", () => {
  it("follow the 6.1 formulas", () => {
    // min(managed >> 10, 256) / 4, at least 1, then rounddown_pow_of_two(b + b/2) - 1
    expect(zoneBatchsize(3840)).toBe(0); // the caller's max(1, ...) makes it 1
    expect(zoneBatchsize(51112)).toBe(15);
    expect(zoneBatchsize(4 << 20)).toBe(63); // 16 GiB: 256/4 = 64 -> 96 -> 64 - 1
    expect(zoneBatchsize(1 << 30)).toBe(63); // capped at 1 MiB of pages
    // low watermark / CPUs, at least batch << 2; or managed / fraction / CPUs
    expect(zoneHighsize(533, 51112, 15, 2, 0)).toBe(266);
    expect(zoneHighsize(41, 3840, 1, 2, 0)).toBe(20);
    expect(zoneHighsize(10, 51112, 15, 2, 0)).toBe(60);
    expect(zoneHighsize(533, 51112, 15, 2, 8)).toBe(Math.floor(51112 / 8 / 2));
  });

  it("reproduce the pagesets of the real 6.1 capture (2 CPUs, THP madvise)", () => {
    const m = createMachine({ ...FIXTURE_BOOT, pcp: true, cpus: 2 });
    const zi = readFixture("proc/zoneinfo.txt");
    // DMA: low 236 -> 118; DMA32: low 3153 -> 1576, batch 15 (zoneinfo.txt lines 70-119)
    for (const [zone, name] of [
      [ZONE_DMA, "DMA"],
      [ZONE_DMA32, "DMA32"],
    ] as const) {
      const section = zi.split(/^Node 0, zone +/m).find((s) => s.startsWith(name))!;
      const want = [...section.matchAll(/high: +(\d+)\n +batch: (\d+)/g)].map((x) => [Number(x[1]), Number(x[2])]);
      expect(want.length).toBe(2);
      const got = m.pcpPagesets(zone).map((r) => [r.high, r.batch]);
      expect(got).toEqual(want);
    }
    // the printed lines are the kernel's (the counts are what the workload left; threshold 8)
    const counts = [56, 32];
    const text = formatPagesets(
      m.pcpPagesets(ZONE_DMA32).map((r) => ({ ...r, count: counts[r.cpu] })),
      8,
    );
    expect(zi).toContain(`      numa_other   0\n${text}  node_unreclaimable:`);
  });

  it("high follows the watermarks (setup_per_zone_wmarks -> zone_pcp_update) and the sysctl", () => {
    const m = createMachine({ memoryBytes: 1 << 30, pcp: true, cpus: 4 });
    const z = m.zones[ZONE_DMA32];
    const before = dma32(m);
    expect(before.high).toBe(Math.max(Math.floor(z.watermarks[1] / 4), before.batch * 4));
    m.setMinFreeKbytes(65536);
    expect(dma32(m).high).toBe(Math.max(Math.floor(z.watermarks[1] / 4), before.batch * 4));
    expect(dma32(m).high).toBeGreaterThan(before.high);
    m.setPercpuPagelistHighFraction(8);
    expect(dma32(m).high).toBe(Math.floor(z.managed / 8 / 4));
    for (const bad of [1, 7, -1, 2.5]) {
      const e = (() => {
        try {
          m.setPercpuPagelistHighFraction(bad);
        } catch (err) {
          return err;
        }
        return null;
      })();
      expect(isMmError(e) && e.code === "EINVAL").toBe(true);
    }
  });
});

describe("free_unref_page and rmqueue_pcplist", () => {
  it("an order-0 free stays on the CPU's list, outside NR_FREE_PAGES; the next allocation gets it back", () => {
    const m = createMachine(PLAIN);
    const p = m.allocPages(0, MOV);
    const free = m.freePagesTotal();
    const onPcp = m.pcpPages();
    m.freePages(p, 0);
    expect(m.isOnPcp(p)).toBe(true);
    expect(m.isFree(p)).toBe(false);
    expect(m.freePagesTotal()).toBe(free);
    expect(m.pcpPages()).toBe(onPcp + 1);
    expect(m.allocPages(0, MOV)).toBe(p); // list_add at the head, list_first_entry
    m.checkInvariants();
  });

  it("an empty list is refilled with `batch` blocks, `max(batch >> order, 2)` for order > 0", () => {
    const m = createMachine(PLAIN);
    const { batch } = dma32(m);
    expect(batch).toBe(zoneBatchsize(m.zones[ZONE_DMA32].managed));
    let free = m.freePagesTotal();
    const a = m.allocPages(0, MOV);
    expect(free - m.freePagesTotal()).toBe(batch);
    expect(dma32(m).count).toBe(batch - 1);
    // rmqueue_bulk puts the split pages on the tail in pfn order: the next pages are consecutive
    expect(m.allocPages(0, MOV)).toBe(a + 1);
    for (const order of [1, 2, 3]) {
      free = m.freePagesTotal();
      const c = dma32(m).count;
      m.allocPages(order, GFP_KERNEL | __GFP_NOWARN);
      const n = Math.max(batch >> order, 2);
      expect(free - m.freePagesTotal()).toBe(n << order);
      expect(dma32(m).count - c).toBe((n - 1) << order);
    }
    m.checkInvariants();
  });

  it("THP-order pages share one list in 6.1: a Movable THP freed is what an Unmovable order-9 request gets", () => {
    const m = createMachine(PLAIN);
    const thp = m.allocPages(9, MOV | __GFP_COMP);
    expect(m.pageblockMigratetype(thp)).toBe(MIGRATE_MOVABLE);
    m.freePages(thp, 9);
    expect(m.isOnPcp(thp)).toBe(true);
    expect(m.allocPages(9, GFP_KERNEL | __GFP_COMP | __GFP_NOWARN)).toBe(thp);
    // order 4..8 are not pcp orders
    const p = m.allocPages(5, GFP_KERNEL | __GFP_NOWARN);
    m.freePages(p, 5);
    expect(m.isOnPcp(p)).toBe(false);
    expect(m.isFree(p)).toBe(true);
  });

  it("reaching high frees a batch, doubling (free_factor) while frees continue, at most high - batch", () => {
    const m = createMachine(PLAIN);
    const { batch, high } = dma32(m);
    const pages: number[] = [];
    for (let i = 0; i < 10 * high; i++) pages.push(m.allocPages(0, MOV));
    m.drainAllPages();
    const counts: number[] = [];
    for (const p of pages) {
      const before = dma32(m).count;
      m.freePages(p, 0);
      const after = dma32(m).count;
      if (after <= before) counts.push(before + 1 - after);
    }
    // nr_pcp_free: batch << free_factor, clamp(.., batch, high - batch); free_factor++ while below the max
    const want: number[] = [];
    let ff = 0;
    let n = 0;
    for (let i = 0; i < pages.length; i++) {
      n++;
      if (n >= high) {
        const b = Math.min(Math.max(batch << ff, batch), high - batch);
        if (batch << ff < high - batch) ff++;
        want.push(b);
        n -= b;
      }
    }
    expect(counts).toEqual(want);
    expect(new Set(want).size).toBeGreaterThan(2); // batch, 2 batches, ..., high - batch
    // an allocation halves free_factor (rmqueue_pcplist)
    m.checkInvariants();
  });

  it("while kswapd reclaims the zone (ZONE_RECLAIM_ACTIVE) the list holds at most 4 batches", () => {
    const m = createMachine({ memoryBytes: 256 << 20, pcp: true });
    const { batch, high } = dma32(m);
    expect(high).toBeGreaterThan(4 * batch);
    const pages: number[] = [];
    for (let i = 0; i < high; i++) pages.push(m.allocPages(0, MOV));
    m.drainAllPages();
    m.setZoneReclaimActive(ZONE_DMA32, true);
    for (const p of pages) {
      m.freePages(p, 0);
      expect(dma32(m).count).toBeLessThan(4 * batch);
    }
  });

  it("a high-order (1..3) free after frees without allocations empties the list (free_high)", () => {
    const m = createMachine(PLAIN);
    const { high } = dma32(m);
    const pages: number[] = [];
    for (let i = 0; i < high + 1; i++) pages.push(m.allocPages(0, MOV));
    const two = m.allocPages(2, GFP_KERNEL | __GFP_NOWARN);
    m.drainAllPages();
    for (const p of pages) m.freePages(p, 0); // crosses high once: free_factor becomes 1
    expect(dma32(m).count).toBeGreaterThan(0);
    m.freePages(two, 2);
    expect(dma32(m).count).toBe(0);
  });

  it("pages of an isolated pageblock bypass the pcp lists", () => {
    const m = createMachine({ memoryBytes: 64 << 20, noWatermarks: true, pcp: true, cma: { nrPages: 1024 } });
    const z = m.zones[ZONE_DMA32];
    const start = z.endPfn - z.cmaPages;
    // alloc_contig_range isolates, so its own frees of the excess (free_contig_range) go to the buddy
    expect(m.allocContigRange(start + 3, start + 5)).toBe(0);
    for (let p = start; p < start + 512; p++) if (p !== start + 3 && p !== start + 4) expect(m.isOnPcp(p)).toBe(false);
    expect(m.pageblockMigratetype(start)).not.toBe(MIGRATE_ISOLATE);
    m.checkInvariants();
  });
});

describe("drain_all_pages on the paths 6.1 drains", () => {
  function fullMachine(progress: () => number): { m: BuddyMachine; held: number[] } {
    const m = createMachine({ memoryBytes: 16 << 20, zoneLayout: "single", noWatermarks: true, pcp: true, cpus: 2, reclaim: { directReclaim: progress } });
    const held: number[] = [];
    for (let p = m.allocPages(0, GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN); p >= 0; p = m.allocPages(0, GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN)) held.push(p);
    // CPU 1 frees a few pages: they sit on its list, invisible to CPU 0
    m.setCpu(1);
    for (const p of held.splice(0, 3)) m.freePages(p, 0);
    m.setCpu(0);
    expect(m.pcpPages()).toBe(3);
    expect(m.freePagesTotal()).toBe(0);
    return { m, held };
  }

  it("__alloc_pages_direct_reclaim drains when the retry after progress fails, then tries again", () => {
    const { m } = fullMachine(() => 1);
    expect(m.allocPages(0, GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN)).toBeGreaterThanOrEqual(0);
    const [cpu0, cpu1] = m.pcpPagesets(m.zoneOf(0));
    expect(cpu1.count).toBe(0); // CPU 1's list was drained
    expect(m.pcpPages()).toBe(cpu0.count);
    m.checkInvariants();
  });

  it("does not drain when reclaim made no progress (goto out before the retry)", () => {
    const { m } = fullMachine(() => 0);
    expect(m.allocPages(0, GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN)).toBe(-1);
    expect(m.pcpPages()).toBe(3);
  });

  it("alloc_contig_range drains after isolating, so pcp pages of the range count as free", () => {
    const m = createMachine({ memoryBytes: 64 << 20, noWatermarks: true, pcp: true, cma: { nrPages: 1024 } });
    const z = m.zones[ZONE_DMA32];
    const start = z.endPfn - z.cmaPages;
    const got: number[] = [];
    while (got.length < 8) {
      const p = m.allocPages(0, MOV);
      if (p >= start && p < start + 512) got.push(p);
    }
    for (const p of got) m.freePages(p, 0);
    expect(got.some((p) => m.isOnPcp(p))).toBe(true);
    expect(m.allocContigRange(start, start + 512)).toBe(0);
    for (const p of got) expect(m.isAllocated(p)).toBe(true);
    m.checkInvariants();
  });

  it("drainAllPages gives every pcp page back, and the buddy lists merge them", () => {
    const m = createMachine({ ...PLAIN, cpus: 3 });
    const before = m.freePagesTotal() + m.pcpPages();
    const pages: number[] = [];
    for (let c = 0; c < 3; c++) {
      m.setCpu(c);
      for (let i = 0; i < 20; i++) pages.push(m.allocPages(0, MOV));
    }
    for (let i = 0; i < pages.length; i++) {
      m.setCpu(i % 3);
      m.freePages(pages[i], 0);
    }
    const n = m.pcpPages();
    expect(m.drainAllPages()).toBe(n);
    expect(m.pcpPages()).toBe(0);
    expect(m.freePagesTotal()).toBe(before);
    expect(m.nrFree(ZONE_DMA32, m.maxOrder)).toBeGreaterThan(0);
    m.checkInvariants();
  });
});

describe("conservation and determinism", () => {
  it("free + pcp + allocated + reserved = present in every zone, and two identical runs end byte-identical", () => {
    const runOnce = (): string => {
      const m = createMachine({ memoryBytes: 96 << 20, pcp: true, cpus: 2, thp: true });
      const held: [number, number][] = [];
      let x = 12345;
      for (let i = 0; i < 6000; i++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        m.setCpu(x & 1);
        if ((x >>> 8) % 3 !== 0 || held.length === 0) {
          const order = (x >>> 12) % 7 === 0 ? 9 : (x >>> 12) % 4;
          const p = m.allocPages(order, (order === 9 ? __GFP_COMP : 0) | MOV);
          if (p >= 0) held.push([p, order]);
        } else {
          const [p, o] = held.splice((x >>> 4) % held.length, 1)[0];
          m.freePages(p, o);
        }
        if (i % 500 === 0) {
          const census = m.checkInvariants();
          for (const z of m.zones) {
            const c = census[z.idx];
            expect(c.free + c.pcp + c.allocated + c.isolated + c.reserved).toBe(z.present);
            expect(c.pcp).toBe(m.pcpPages(z.idx));
            expect(c.free).toBe(z.freePages);
          }
        }
      }
      expect(m.pcpPages()).toBeGreaterThan(0);
      return `${snapshot(m)}|${JSON.stringify(m.zones.map((z) => m.pcpPagesets(z.idx)))}`;
    };
    expect(runOnce()).toBe(runOnce());
  });

  it("a machine without pcp is unchanged by the option's existence: same state as before the option", () => {
    const ops = (m: BuddyMachine): void => {
      const ps: number[] = [];
      for (let i = 0; i < 500; i++) ps.push(m.allocPages(i % 4, GFP_KERNEL | __GFP_NOWARN));
      for (let i = 0; i < ps.length; i += 2) m.freePages(ps[i], i % 4);
    };
    const a = createMachine({ memoryBytes: 32 << 20 });
    const b = createMachine({ memoryBytes: 32 << 20, pcp: false, cpus: 4 });
    ops(a);
    ops(b);
    expect(snapshot(b)).toBe(snapshot(a));
    expect(b.pcpPages()).toBe(0);
    expect(b.drainAllPages()).toBe(0);
  });

  it("a double free of a page on a pcp list is DOUBLE_FREE, state untouched", () => {
    const m = createMachine(PLAIN);
    const p = m.allocPages(0, MOV);
    m.freePages(p, 0);
    const before = snapshot(m);
    expect(() => m.freePages(p, 0)).toThrow(/per-cpu/);
    try {
      m.freePages(p, 0);
    } catch (e) {
      expect(isMmError(e) && e.code).toBe("DOUBLE_FREE");
    }
    expect(snapshot(m)).toBe(before);
    expect(() => m.setCpu(1)).toThrow(/cpu 1/);
    expect(() => createMachine({ ...PLAIN, cpus: 0 })).toThrow(/cpus 0/);
  });
});
