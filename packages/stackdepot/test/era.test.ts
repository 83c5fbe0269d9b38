import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  GFP_ATOMIC,
  GFP_ATOMIC_6_1,
  GFP_DMA32,
  GFP_HIGHUSER_MOVABLE,
  GFP_KERNEL,
  GFP_NOWAIT,
  __GFP_COMP,
  __GFP_NOWARN,
} from "@mm/api";
import {
  DEPOT_ERAS,
  ERA_PROFILES,
  STACK_DEPOT_FLAG_GET,
  createStackDepot,
  earlyTableEntries,
  lateTableEntries,
  sanitizePoolGfp,
  tableEntriesLine,
  type DepotEra,
} from "../src/index.js";
import { RecordingSource, logSink, trace } from "./helpers.js";

describe("pool gfp sanitising (what the page source sees)", () => {
  const seen = (era: DepotEra, gfp: number): number[] => {
    const src = new RecordingSource();
    const d = createStackDepot({ era, pageSource: src, buckets: 256 });
    d.save(trace(1), 16, gfp);
    d.save(trace(2), 16, gfp);
    d.checkInvariants();
    return src.allocs.map((a) => {
      expect(a.order).toBe(2);
      return a.gfp;
    });
  };

  it("current: gfp_nested_mask()", () => {
    // 0x140cca & (GFP_KERNEL | GFP_ATOMIC = 0xce0) = 0xcc0; | NORETRY 0x10000 | NOMEMALLOC 0x80000 | NOWARN 0x2000
    expect(seen("current", GFP_HIGHUSER_MOVABLE | __GFP_COMP)).toEqual([0x92cc0, 0x92cc0]);
    // page_owner's free path: GFP_NOWAIT | __GFP_NOWARN -> 0x800 | nested bits
    expect(seen("current", GFP_NOWAIT | __GFP_NOWARN)).toEqual([0x92800, 0x92800]);
    expect(sanitizePoolGfp(GFP_DMA32 | GFP_KERNEL, "current")).toBe(0x92cc0);
    expect(sanitizePoolGfp(GFP_ATOMIC, "current")).toBe(0x92820);
  });

  it("v6.7: zone bits cleared, & (GFP_ATOMIC | GFP_KERNEL), | __GFP_NOWARN", () => {
    expect(seen("v6.7", GFP_HIGHUSER_MOVABLE | __GFP_COMP)).toEqual([0x2cc0, 0x2cc0]);
    expect(sanitizePoolGfp(GFP_DMA32 | GFP_KERNEL, "v6.7")).toBe(0x2cc0);
    // the 6.1-era GFP_ATOMIC's __GFP_ATOMIC bit (0x200) is no longer kept
    expect(sanitizePoolGfp(GFP_ATOMIC_6_1, "v6.7")).toBe(0x2820);
    // __GFP_NOLOCKDEP survives when lockdep defines it
    expect(sanitizePoolGfp(GFP_KERNEL | 0x8000000, "v6.7", 0x8000000)).toBe(0x8002cc0);
    expect(sanitizePoolGfp(GFP_KERNEL | 0x8000000, "v6.7", 0)).toBe(0x2cc0);
  });

  it("v6.1 is 6.1.192: the 2024 stable backport of 6fe60465e1d5 keeps __GFP_NOLOCKDEP; v4.x as released drop it", () => {
    const NOLOCKDEP = 0x8000000;
    expect(sanitizePoolGfp(GFP_KERNEL | NOLOCKDEP, "v6.1", NOLOCKDEP)).toBe(0x8002cc0);
    expect(sanitizePoolGfp(GFP_KERNEL | NOLOCKDEP, "v6.1", 0)).toBe(0x2cc0);
    for (const era of ["v4.6", "v4.7", "v4.9"] as const) expect(sanitizePoolGfp(GFP_KERNEL | NOLOCKDEP, era, NOLOCKDEP)).toBe(0x2cc0);
    // ... and the page source sees it on the pool allocation.
    const src = new RecordingSource();
    createStackDepot({ era: "v6.1", pageSource: src, buckets: 256, gfpNolockdep: NOLOCKDEP }).save(trace(1), 16, GFP_KERNEL | NOLOCKDEP);
    expect(src.allocs.map((a) => a.gfp)).toEqual([0x8002cc0]);
  });

  it("v4.x .. v6.1: GFP_ATOMIC still had __GFP_ATOMIC (0xa20)", () => {
    for (const era of ["v4.6", "v4.7", "v4.9", "v6.1"] as const) {
      expect(seen(era, GFP_HIGHUSER_MOVABLE | __GFP_COMP)).toEqual([0x2cc0, 0x2cc0]);
      expect(sanitizePoolGfp(GFP_ATOMIC_6_1, era)).toBe(0x2a20);
      expect(sanitizePoolGfp(0x03, era)).toBe(__GFP_NOWARN);
    }
  });

  it("current: a mask that cannot spin (no __GFP_RECLAIM bit) never allocates", () => {
    const src = new RecordingSource();
    const d = createStackDepot({ era: "current", pageSource: src, buckets: 256 });
    expect(d.save(trace(1), 16, 0)).toBe(0);
    expect(src.allocs).toHaveLength(0);
    // ... but uses existing space once a pool exists
    expect(d.save(trace(1), 16, GFP_KERNEL)).not.toBe(0);
    // trace 2 fits the current pool; no spare is preallocated for a non-spinning mask
    expect(d.save(trace(2), 16, 0)).not.toBe(0);
    expect(src.allocs).toHaveLength(1);
    expect(d.stats().sparePools).toBe(0);
    d.save(trace(3), 16, GFP_KERNEL);
    expect(src.allocs).toHaveLength(2);
    expect(d.stats().sparePools).toBe(1);
    d.checkInvariants();
    // v6.7 had no such rule: it allocates with the sanitised 0 -> __GFP_NOWARN
    const src2 = new RecordingSource();
    const d2 = createStackDepot({ era: "v6.7", pageSource: src2, buckets: 256 });
    expect(d2.save(trace(3), 16, 0)).toBe(0x0); // v6.7: the first record's handle is 0 (the bug)
    expect(src2.allocs.map((a) => a.gfp)).toEqual([__GFP_NOWARN]);
    expect(d2.stats().persistentCount).toBe(1);
  });

  it("without STACK_DEPOT_FLAG_CAN_ALLOC the depot never allocates", () => {
    const src = new RecordingSource();
    const d = createStackDepot({ pageSource: src, buckets: 256 });
    expect(d.save(trace(1), 16, GFP_KERNEL, 0)).toBe(0);
    expect(d.save(trace(1), 16, GFP_KERNEL, STACK_DEPOT_FLAG_GET)).toBe(0);
    expect(src.allocs).toHaveLength(0);
    d.checkInvariants();
  });
});

describe("hash table sizing", () => {
  it("matches the real 6.1 boot log of the 256 MiB fixture", () => {
    const dmesg = readFileSync(
      new URL("../../../fixtures/kernel-6.1-256M/proc/dmesg.txt", import.meta.url),
      "latin1",
    );
    const line = /\] (stackdepot hash table entries: .*)$/m.exec(dmesg)?.[1];
    expect(line).toBeDefined();
    // "Total pages: 64221" in the same log is nr_kernel_pages' order of magnitude
    const sink = logSink();
    const d = createStackDepot({ era: "v6.1", kernelPages: 64221, log: sink.log });
    expect(d.buckets).toBe(16384);
    expect(sink.all).toEqual([line]);
    expect(d.stats().tableBytes).toBe(131072);
  });

  it("one bucket per 16 KiB, rounded up to a power of two, clamped to 2^12..2^20", () => {
    expect(earlyTableEntries(1 << 20, 8)).toBe(262144); // 4 GiB
    expect(earlyTableEntries(65536, 8)).toBe(16384); // 256 MiB
    expect(earlyTableEntries(100, 8)).toBe(4096);
    expect(earlyTableEntries(2 ** 28, 8)).toBe(1 << 20);
    expect(earlyTableEntries(65537, 16)).toBe(32768); // 65792 / 4 = 16448 -> 32768
    expect(lateTableEntries(60000)).toBe(16384);
    expect(lateTableEntries(1 << 20)).toBe(262144);
    expect(tableEntriesLine(16384, 16)).toBe("stackdepot hash table entries: 16384 (order: 6, 262144 bytes, linear)");
  });

  it("2016 profiles use the fixed STACK_HASH_ORDER 20 table whatever the memory", () => {
    for (const era of ["v4.6", "v4.7", "v4.9"] as const) {
      const d = createStackDepot({ era, memoryBytes: 256 << 20 });
      expect(d.buckets).toBe(1 << 20);
      expect(d.stats().tableBytes).toBe(8 << 20);
    }
  });

  it("6.8 eras log the init path and use 16-byte list_head buckets", () => {
    const a = logSink();
    createStackDepot({ memoryBytes: 4 * 2 ** 30, log: a.log });
    expect(a.all).toEqual([
      "stackdepot: allocating hash table via alloc_large_system_hash",
      "stackdepot hash table entries: 262144 (order: 10, 4194304 bytes, linear)",
    ]);
    const b = logSink();
    const d = createStackDepot({ memoryBytes: 4 * 2 ** 30, tableInit: "late", log: b.log });
    expect(b.all).toEqual(["stackdepot: allocating hash table of 262144 entries via kvcalloc"]);
    expect(d.stats().tableBytes).toBe(262144 * 16);
  });

  it("6.1 (no pr_fmt yet): the late table prints 'Stack Depot allocating ... with kvcalloc'; early prints only alloc_large_system_hash's line", () => {
    // v6.1 lib/stackdepot.c stack_depot_init: pr_info("Stack Depot allocating hash table of %lu
    // entries with kvcalloc\n", entries); stack_depot_early_init has no pr_info of its own.
    const late = logSink();
    createStackDepot({ era: "v6.1", kernelPages: 64221, tableInit: "late", log: late.log });
    expect(late.all).toEqual([`Stack Depot allocating hash table of ${lateTableEntries(64221)} entries with kvcalloc`]);
    expect(lateTableEntries(64221)).toBe(16384); // roundup_pow_of_two(64221) = 65536, >> 2
    const early = logSink();
    createStackDepot({ era: "v6.1", kernelPages: 64221, log: early.log });
    expect(early.all).toEqual(["stackdepot hash table entries: 16384 (order: 5, 131072 bytes, linear)"]);
  });

  it("bad sizes are config errors", () => {
    for (const opts of [{ buckets: 1000 }, { buckets: 0 }, { kernelPages: 0 }, { maxPools: 0 }, { maxPools: 131072 }, { maxFrames: 0 }])
      expect(() => createStackDepot(opts)).toThrow(expect.objectContaining({ code: "BAD_CONFIG" }));
    expect(() => createStackDepot({ era: "v4.9", maxFrames: 64 })).toThrow(expect.objectContaining({ code: "BAD_CONFIG" }));
  });
});

describe("era profiles", () => {
  it("default caps: 1024 pools before v4.9, 8192 after", () => {
    const caps = DEPOT_ERAS.map((e) => createStackDepot({ era: e, buckets: 16 }).maxPools);
    expect(caps).toEqual([1024, 1024, 8192, 8192, 8192, 8192]);
    expect(ERA_PROFILES["v6.1"].layout.extraBits).toBe(5);
  });
});
