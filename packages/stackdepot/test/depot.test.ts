import { describe, expect, it } from "vitest";
import { GFP_KERNEL, type SymbolTable } from "@mm/api";
import {
  DEPOT_CAP_WARNING,
  DEPOT_NO_SPARE_WARNING,
  DEPOT_ERAS,
  KERNEL_TEXT_HIGH,
  STACK_HASH_SEED,
  hashFrames,
  jhash2,
  ManualRcu,
  REFCOUNT_SATURATED,
  STACK_DEPOT_FLAG_CAN_ALLOC,
  STACK_DEPOT_FLAG_GET,
  type StackDepot,
  checkStackDepotInvariants,
  createStackDepot,
  encodeHandle,
  handleLayout,
  type StackDepotOptions,
} from "../src/index.js";
import { RecordingSource, logSink, trace } from "./helpers.js";

const GET = STACK_DEPOT_FLAG_CAN_ALLOC | STACK_DEPOT_FLAG_GET;

/** A depot whose invariants are checked after every public call. */
function checked(opts: StackDepotOptions = {}): StackDepot {
  const d = createStackDepot({ buckets: 1024, ...opts });
  return new Proxy(d, {
    get(target, prop, recv) {
      const v: unknown = Reflect.get(target, prop, recv);
      if (typeof v !== "function" || prop === "checkInvariants") return v;
      return (...args: unknown[]) => {
        const r: unknown = (v as (...a: unknown[]) => unknown).apply(target, args);
        checkStackDepotInvariants(target);
        return r;
      };
    },
  });
}

describe("the classic stack depot cases, every era", () => {
  for (const era of DEPOT_ERAS) {
    describe(era, () => {
      it("same trace -> same handle, and fetch returns it", () => {
        const d = checked({ era });
        const a = d.save(trace(10), 16, GFP_KERNEL);
        const b = d.save(trace(11), 16, GFP_KERNEL);
        expect(d.save(trace(11), 16, GFP_KERNEL)).toBe(b);
        expect(d.save(trace(10), 16, GFP_KERNEL)).toBe(a);
        expect(d.fetchFrames(b)).toEqual(trace(11));
        expect(d.stats().uniqueStacks).toBe(2);
      });

      it("traces that differ only in the last frame get different handles", () => {
        const d = checked({ era });
        d.save(trace(0), 16, GFP_KERNEL); // so no handle below is the v4.6/v6.7 zero handle
        const x = trace(5);
        const y = trace(5);
        y[15] ^= 1;
        const hx = d.save(x, 16, GFP_KERNEL);
        const hy = d.save(y, 16, GFP_KERNEL);
        expect(hx).not.toBe(hy);
        expect(d.fetchFrames(hy)).toEqual(y);
        // a prefix is a different trace too
        expect(d.save(x, 15, GFP_KERNEL)).not.toBe(hx);
      });

      it("an empty trace gets no handle and allocates nothing", () => {
        const src = new RecordingSource();
        const d = checked({ era, pageSource: src });
        expect(d.save(new Uint32Array(0), 0, GFP_KERNEL)).toBe(0);
        expect(d.save(trace(1), 0, GFP_KERNEL)).toBe(0);
        expect(src.allocs).toHaveLength(0);
      });

      it("an unknown handle -> nothing", () => {
        const d = checked({ era });
        const out = new Uint32Array(64);
        expect(d.fetch(0, out)).toBe(0);
        expect(d.fetch(0x12345678, out)).toBe(0);
        d.save(trace(0), 16, GFP_KERNEL);
        const h = d.save(trace(1), 16, GFP_KERNEL);
        // pool 0, offset 48: inside the first 160-byte record, not a record start
        expect(d.fetch(encodeHandle(handleLayout(era), 0, 48), out)).toBe(0);
        // a well-formed handle of a pool that does not exist
        expect(d.fetch(encodeHandle(handleLayout(era), 5, 0), out)).toBe(0);
        expect(d.isValid(h)).toBe(true);
        expect(d.isValid(0xdeadbeef)).toBe(false);
        expect(d.frameCount(0xdeadbeef)).toBe(0);
        expect(d.fetchFrames(0xdeadbeef)).toEqual(new Uint32Array(0));
      });

      it("2000 traces saved twice return the same handles", () => {
        const d = createStackDepot({ era, buckets: 4096 });
        const first = Array.from({ length: 2000 }, (_, t) => d.save(trace(t, 1 + (t % 24)), 1 + (t % 24), GFP_KERNEL));
        const second = Array.from({ length: 2000 }, (_, t) => d.save(trace(t, 1 + (t % 24)), 1 + (t % 24), GFP_KERNEL));
        expect(second).toEqual(first);
        // all distinct (the v4.6 / v6.7 zero handle aside)
        expect(new Set(first).size).toBe(2000);
        for (let t = 0; t < 2000; t += 97) if (first[t] !== 0) expect(d.fetchFrames(first[t])).toEqual(trace(t, 1 + (t % 24)));
        expect(d.stats().uniqueStacks).toBe(2000);
        d.checkInvariants();
      });
    });
  }

  it("v4.6 and v6.7 hand out handle 0 for the very first record (fixed twice in the kernel)", () => {
    for (const era of ["v4.6", "v6.7"] as const) {
      const d = createStackDepot({ era, buckets: 64 });
      expect(d.save(trace(1), 16, GFP_KERNEL)).toBe(0);
      expect(d.stats().uniqueStacks).toBe(1); // stored, but indistinguishable from failure
      expect(d.fetchFrames(0)).toEqual(new Uint32Array(0));
    }
    for (const era of ["v4.7", "v4.9", "v6.1", "current"] as const)
      expect(createStackDepot({ era, buckets: 64 }).save(trace(1), 16, GFP_KERNEL)).not.toBe(0);
  });
});

describe("record sizes and pools", () => {
  it("2016 records are ALIGN(24 + 8n, 16); 6.8 persistent ALIGN(32 + 8n, 16); evictable 544", () => {
    const old = checked({ era: "v4.9" });
    const cur = checked({ era: "current" });
    expect([1, 2, 16, 64].map((n) => old.recordBytes(n))).toEqual([32, 48, 160, 544]);
    expect([1, 2, 16, 64].map((n) => cur.recordBytes(n))).toEqual([48, 48, 160, 544]);
    expect(cur.recordBytes(1, GET)).toBe(544);
    old.save(trace(1, 1), 1, GFP_KERNEL);
    old.save(trace(2, 16), 16, GFP_KERNEL);
    expect(old.stats().persistentBytes).toBe(32 + 160);
    cur.save(trace(1, 1), 1, GFP_KERNEL);
    cur.save(trace(2, 16), 16, GFP_KERNEL);
    cur.save(trace(3, 16), 16, GFP_KERNEL, GET);
    expect(cur.stats().persistentBytes).toBe(48 + 160);
    // the third record sits at 48 + 160 = 208 bytes into pool 0
    expect(cur.save(trace(3, 16), 16, GFP_KERNEL)).toBe(1 | (13 << 17));
  });

  it("102 page_owner-sized records fill a 16 KiB pool; the 103rd opens pool 1", () => {
    for (const era of ["v4.9", "current"] as const) {
      const src = new RecordingSource();
      const d = checked({ era, pageSource: src });
      for (let t = 0; t < 102; t++) d.save(trace(t), 16, GFP_KERNEL);
      expect(d.stats().pools).toBe(1);
      d.save(trace(102), 16, GFP_KERNEL);
      expect(d.stats().pools).toBe(2);
      // pool 1 was the spare; the next miss preallocates a new spare
      expect(d.stats().sparePools).toBe(0);
      d.save(trace(103), 16, GFP_KERNEL);
      expect(d.stats().sparePools).toBe(1);
      expect(src.held).toBe(3);
      const s = d.stats();
      expect(s.totalBytes).toBe(3 * 16384 + s.tableBytes);
      expect(d.poolPfns().pools).toEqual([src.allocs[0].pfn, src.allocs[1].pfn]);
    }
  });

  it("frames beyond CONFIG_STACKDEPOT_MAX_FRAMES are truncated (6.8 records)", () => {
    const d = checked({ era: "current" });
    const long = trace(7, 70);
    const h = d.save(long, 70, GFP_KERNEL);
    expect(d.fetchFrames(h)).toEqual(long.subarray(0, 64));
    // The hash and the size compare use the untruncated count, so the 70-frame trace never
    // matches its stored 64-frame record (modelled from the 6.8+ code; see README).
    expect(d.save(long, 70, GFP_KERNEL)).not.toBe(h);
    expect(d.save(long, 64, GFP_KERNEL)).not.toBe(0);
    const small = checked({ era: "current", maxFrames: 8 });
    expect(small.recordBytes(8, GET)).toBe(96);
    expect(small.fetchFrames(small.save(long, 20, GFP_KERNEL))).toEqual(long.subarray(0, 8));
  });

  it("2016 records are bounded only by the pool: 2045 frames fit, 2046 are refused", () => {
    const d = checked({ era: "v4.9" });
    expect(d.fetchFrames(d.save(trace(1, 2045), 2045, GFP_KERNEL))).toEqual(trace(1, 2045));
    const before = d.stateDigest();
    expect(() => d.save(trace(2, 2046), 2046, GFP_KERNEL)).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(d.stateDigest()).toBe(before);
  });
});

describe("entries[] are unsigned long: frames stored and hashed with the kernel text upper word", () => {
  it("bucket = jhash2 over (frame, 0xffffffff) word pairs & mask, as a real kernel's", () => {
    const d = checked({ era: "current", buckets: 256 });
    const t = trace(7);
    const wide = new Uint32Array(32);
    for (let i = 0; i < 16; i++) {
      wide[2 * i] = t[i];
      wide[2 * i + 1] = 0xffffffff;
    }
    const h = d.save(t, 16, GFP_KERNEL);
    const ref = d.getStackRecord(h);
    expect(ref).not.toBe(0);
    expect(KERNEL_TEXT_HIGH).toBe(0xffffffff);
    // checkInvariants (run by checked() after each call) recomputes every record's hash as
    // hashFrames(frames, n, seed, 0xffffffff) and its bucket as hash & mask; that is jhash2 of the
    // 64-bit entries:
    const expected = jhash2(wide, 0, 32, STACK_HASH_SEED);
    expect(hashFrames(t, 16, STACK_HASH_SEED, 0xffffffff)).toBe(expected);
    expect(hashFrames(t, 16)).not.toBe(expected);
    d.checkInvariants();
    // A depot told the wrong high word stores different hashes, so its state differs.
    const z = createStackDepot({ era: "current", buckets: 256, entryHighWord: 0 });
    z.save(t, 16, GFP_KERNEL);
    expect(z.stateDigest()).not.toBe(d.stateDigest());
  });

  it("entryHighWord 0 reproduces the pre-#17 zero-extended hashing (different buckets)", () => {
    const a = checked({ era: "v6.1", buckets: 4096 });
    const b = checked({ era: "v6.1", buckets: 4096, entryHighWord: 0 });
    for (let t = 0; t < 50; t++) {
      expect(a.save(trace(t), 16, GFP_KERNEL)).toBe(b.save(trace(t), 16, GFP_KERNEL));
    }
    // Handles come from pool offsets, so they agree; the bucket tables do not.
    expect(a.stateDigest()).not.toBe(b.stateDigest());
    expect(() => createStackDepot({ entryHighWord: -1 })).toThrow(expect.objectContaining({ code: "BAD_CONFIG" }));
  });
});

describe("pool cap", () => {
  // 102 16-frame records (160 B) fill a 16 KiB pool; with maxPools 2 save #204 is the first refused.
  for (const era of ["v4.7", "v6.1", "v6.7", "current"] as const) {
    const newRec = era === "v6.7" || era === "current";
    it(`${era}: exhaustion returns 0 and warns once with the kernel's text`, () => {
      const src = new RecordingSource();
      const sink = logSink();
      const d = checked({ era, pageSource: src, maxPools: 2, log: sink.log });
      const handles: number[] = [];
      let t = 0;
      for (; t < 204; t++) handles.push(d.save(trace(t), 16, GFP_KERNEL));
      // (v6.7's first record has handle 0: pool_index 0, offset 0, no valid bit.)
      expect(handles.slice(era === "v6.7" ? 1 : 0).every((h) => h !== 0)).toBe(true);
      expect(d.stats().persistentCount).toBe(204);
      expect(d.save(trace(t), 16, GFP_KERNEL)).toBe(0);
      expect(d.save(trace(t + 1), 16, GFP_KERNEL)).toBe(0);
      expect(sink.lines).toEqual([DEPOT_CAP_WARNING]);
      expect(DEPOT_CAP_WARNING).toBe("Stack depot reached limit capacity");
      // 2016 code: next_slab_inited stops preallocating at the last slab, two pools ever taken.
      // 6.8+ depot_init_pool (kernel bug, README): `pools_num < DEPOT_MAX_POOLS` is tested before
      // the increment, so new_pool is reset to NULL after the last pool too; the next miss
      // (save #103) preallocates a third pool and depot_keep_new_pool keeps it for good.
      expect(src.allocs).toHaveLength(newRec ? 3 : 2);
      expect(src.frees).toHaveLength(0);
      expect(d.stats().pools).toBe(2);
      expect(d.stats().sparePools).toBe(newRec ? 1 : 0);
      expect(d.stats().totalBytes).toBe((newRec ? 3 : 2) * 16384 + d.stats().tableBytes);
      expect(d.poolPfns().spare).toBe(newRec ? src.allocs[2].pfn : -1);
      // nothing stored is lost; known traces still hit
      expect(d.save(trace(100), 16, GFP_KERNEL)).toBe(handles[100]);
      expect(d.fetchFrames(handles[203])).toEqual(trace(203));
    });
  }

  for (const era of ["current"] as const) {
    it(`${era}: no save may allocate after the last pool -> WARN_ON_ONCE(!new_pool) beside the cap warning`, () => {
      const src = new RecordingSource();
      const sink = logSink();
      const d = checked({ era, pageSource: src, maxPools: 2, log: sink.log });
      let t = 0;
      // Through save #102, which installs the last pool and (the bug) resets new_pool to NULL.
      for (; t <= 102; t++) expect(d.save(trace(t), 16, GFP_KERNEL)).not.toBe(0);
      expect(d.stats()).toMatchObject({ pools: 2, sparePools: 0 });
      // Saves without STACK_DEPOT_FLAG_CAN_ALLOC never preallocate, so new_pool stays NULL.
      for (; t < 204; t++) expect(d.save(trace(t), 16, GFP_KERNEL, 0)).not.toBe(0);
      expect(d.save(trace(t), 16, GFP_KERNEL, 0)).toBe(0);
      expect(d.save(trace(t + 1), 16, GFP_KERNEL)).toBe(0);
      expect(sink.lines).toEqual([DEPOT_NO_SPARE_WARNING, DEPOT_CAP_WARNING]);
      // The CAN_ALLOC save after the cap preallocated once more and kept it (new_pool was NULL).
      expect(src.allocs).toHaveLength(3);
      expect(d.stats().sparePools).toBe(1);
    });
  }

  it("the 2016 v4.6 cap is 1024 pools (16 MiB)", () => {
    const d = createStackDepot({ era: "v4.6", buckets: 1 << 16 });
    let t = 0;
    while (d.save(trace(t, 16), 16, GFP_KERNEL) !== 0 || t === 0) t++;
    expect(t).toBe(1024 * 102);
    expect(d.stats().pools).toBe(1024);
    d.checkInvariants();
  });
});

describe("page source failures", () => {
  for (const era of ["v4.9", "v6.1", "v6.7", "current"] as const) {
    it(`${era}: failing on the 3rd pool fails the save, loses nothing, and recovers`, () => {
      const src = new RecordingSource();
      src.failFrom = 3;
      const d = checked({ era, pageSource: src });
      const handles = new Map<number, number>();
      // pool 0 (alloc 1) and the spare (alloc 2) hold 204 records; alloc 3+ fail
      let t = 1;
      for (; t <= 204; t++) handles.set(t, d.save(trace(t), 16, GFP_KERNEL));
      // (v6.7 hands the very first record handle 0)
      for (const [k, h] of handles) expect(h !== 0 || (era === "v6.7" && k === 1)).toBe(true);
      expect(d.save(trace(t), 16, GFP_KERNEL)).toBe(0);
      expect(d.save(trace(t + 1), 16, GFP_KERNEL)).toBe(0);
      expect(d.stats().sourceFailures).toBeGreaterThanOrEqual(2);
      // nothing stored is lost
      for (const [k, h] of handles) {
        expect(d.save(trace(k), 16, GFP_KERNEL)).toBe(h);
        if (h !== 0) expect(d.fetchFrames(h)).toEqual(trace(k));
      }
      // the source recovers
      src.failing = false;
      const h = d.save(trace(t), 16, GFP_KERNEL);
      expect(h).not.toBe(0);
      expect(d.fetchFrames(h)).toEqual(trace(t));
      expect(d.stats().pools).toBe(3);
    });
  }

  it("a failed pool allocation is only a failure when the current pool is full", () => {
    const src = new RecordingSource();
    src.failFrom = 2; // the spare never arrives
    const d = checked({ pageSource: src });
    for (let t = 0; t < 102; t++) expect(d.save(trace(t), 16, GFP_KERNEL)).not.toBe(0);
    expect(d.stats().sparePools).toBe(0);
    expect(d.save(trace(999), 16, GFP_KERNEL)).toBe(0);
  });
});

describe("6.8+ refcounting, put, freelist", () => {
  it("GET counts references; put to zero frees the record and its slot is reused", () => {
    const d = checked({ era: "current" });
    const h = d.save(trace(1), 16, GFP_KERNEL, GET);
    expect(d.save(trace(1), 16, GFP_KERNEL, GET)).toBe(h);
    const rec = d.getStackRecord(h);
    expect(d.recordCount(rec)).toBe(2);
    d.put(h);
    expect(d.fetchFrames(h)).toEqual(trace(1));
    d.put(h);
    expect(d.isValid(h)).toBe(false);
    expect(d.fetchFrames(h)).toEqual(new Uint32Array(0));
    expect(d.stats()).toMatchObject({ refcountedAllocations: 1, refcountedFrees: 1, refcountedInUse: 0, freelistSize: 1 });
    // the freed 544-byte slot is reused by the next evictable trace: same handle, new frames
    const h2 = d.save(trace(2), 16, GFP_KERNEL, GET);
    expect(h2).toBe(h);
    expect(d.fetchFrames(h2)).toEqual(trace(2));
    expect(d.stats().freelistSize).toBe(0);
    // a put trace is forgotten: saving it again makes a new record
    expect(d.save(trace(1), 16, GFP_KERNEL, GET)).not.toBe(h);
  });

  it("persistent saves never take freed slots; evictable ones take full 544-byte slots", () => {
    const d = checked({ era: "current" });
    const e = d.save(trace(1), 16, GFP_KERNEL, GET);
    d.put(e);
    const p = d.save(trace(2), 16, GFP_KERNEL);
    expect(p).not.toBe(e);
    expect(p).toBe(1 | ((544 >> 4) << 17));
    expect(d.stats().freelistSize).toBe(1);
    // 30 evictable records fit a pool (30 x 544 = 16320)
    const d2 = checked({ era: "current" });
    for (let t = 0; t < 30; t++) d2.save(trace(t), 16, GFP_KERNEL, GET);
    expect(d2.stats().pools).toBe(1);
    d2.save(trace(30), 16, GFP_KERNEL, GET);
    expect(d2.stats().pools).toBe(2);
  });

  it("freed records wait for an RCU grace period before reuse", () => {
    const rcu = new ManualRcu();
    const d = checked({ era: "current", rcu });
    const h = d.save(trace(1), 16, GFP_KERNEL, GET);
    d.put(h);
    const fresh = d.save(trace(2), 16, GFP_KERNEL, GET);
    expect(fresh).not.toBe(h);
    rcu.synchronize();
    expect(d.save(trace(3), 16, GFP_KERNEL, GET)).toBe(h);
  });

  it("the freelist is FIFO: the oldest freed record is reused first", () => {
    const d = checked({ era: "current" });
    const hs = [1, 2, 3].map((t) => d.save(trace(t), 16, GFP_KERNEL, GET));
    d.put(hs[1]);
    d.put(hs[0]);
    d.put(hs[2]);
    expect([4, 5, 6].map((t) => d.save(trace(t), 16, GFP_KERNEL, GET))).toEqual([hs[1], hs[0], hs[2]]);
  });

  it("persistent records carry a saturated count; put on one is refused, state unchanged", () => {
    const sink = logSink();
    const d = checked({ era: "current", log: sink.log });
    const h = d.save(trace(1), 16, GFP_KERNEL);
    const rec = d.getStackRecord(h);
    expect(d.recordCount(rec)).toBe(REFCOUNT_SATURATED);
    const before = d.stateDigest();
    expect(() => d.put(h)).toThrow(expect.objectContaining({ code: "BAD_STATE" }));
    expect(d.stateDigest()).toBe(before);
    // a GET hit on a persistent record keeps it saturated and warns once
    expect(d.save(trace(1), 16, GFP_KERNEL, GET)).toBe(h);
    expect(d.save(trace(1), 16, GFP_KERNEL, GET)).toBe(h);
    expect(d.recordCount(rec)).toBe(REFCOUNT_SATURATED);
    expect(sink.lines).toEqual(["refcount_t: saturated; leaking memory."]);
  });

  it("put of 0 is a no-op; unknown or freed handles are refused with state unchanged", () => {
    const sink = logSink();
    const d = checked({ era: "current", log: sink.log });
    d.put(0);
    const h = d.save(trace(1), 16, GFP_KERNEL, GET);
    d.put(h);
    const before = d.stateDigest();
    expect(() => d.put(h)).toThrow(expect.objectContaining({ code: "BAD_HANDLE" }));
    expect(() => d.put(0x00000009)).toThrow(expect.objectContaining({ code: "BAD_HANDLE" }));
    expect(d.stateDigest()).toBe(before);
    expect(sink.lines).toEqual(["pool index 8 out of bounds (1) for stack id 00000009"]);
  });

  it("eras before 6.8 have no GET / put / counts", () => {
    const d = checked({ era: "v6.1" });
    const h = d.save(trace(1), 16, GFP_KERNEL);
    expect(() => d.save(trace(1), 16, GFP_KERNEL, GET)).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => d.put(h)).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => d.recordCount(d.getStackRecord(h))).toThrow(expect.objectContaining({ code: "EINVAL" }));
  });

  it("page_owner's use: persistent record flipped SATURATED -> 1, then counted in base pages", () => {
    const sink = logSink();
    const d = checked({ era: "current", log: sink.log });
    const h = d.save(trace(1), 16, GFP_KERNEL);
    const rec = d.getStackRecord(h);
    expect(d.recordTryCmpxchgCount(rec, REFCOUNT_SATURATED, 1)).toBe(true);
    expect(d.recordTryCmpxchgCount(rec, REFCOUNT_SATURATED, 1)).toBe(false);
    d.recordRefcountAdd(rec, 4);
    expect(d.recordCount(rec)).toBe(5);
    expect(d.recordRefcountSubAndTest(rec, 4)).toBe(false);
    expect(d.recordRefcountSubAndTest(rec, 1)).toBe(true);
    expect(d.recordCount(rec)).toBe(0);
    expect(d.recordHandle(rec)).toBe(h);
    expect(d.recordSize(rec)).toBe(16);
    expect(d.getStackRecord(h)).toBe(0); // count 0: depot_fetch_stack refuses it
    expect(sink.lines).toEqual([]);
    expect(() => d.recordCount(12345678)).toThrow(expect.objectContaining({ code: "BAD_HANDLE" }));
  });
});

describe("stats", () => {
  it("prints /sys/kernel/debug/stackdepot/stats byte for byte", () => {
    const d = checked({ era: "current" });
    d.save(trace(1), 16, GFP_KERNEL);
    d.save(trace(2), 4, GFP_KERNEL);
    const a = d.save(trace(3), 16, GFP_KERNEL, GET);
    d.save(trace(4), 16, GFP_KERNEL, GET);
    d.put(a);
    expect(d.statsText()).toBe(
      "pools: 1\n" +
        "refcounted_allocations: 2\n" +
        "refcounted_frees: 1\n" +
        "refcounted_in_use: 1\n" +
        "freelist_size: 1\n" +
        "persistent_count: 2\n" +
        "persistent_bytes: 224\n",
    );
    const s = d.stats();
    expect(s.uniqueStacks).toBe(3);
    expect(s.totalBytes).toBe((s.pools + s.sparePools) * 16384 + s.buckets * 16);
    expect(s.jsBytes).toBeGreaterThan(16384);
  });
});

describe("IRQ stacks", () => {
  it("filter_irq_stacks cuts after the first IRQ entry frame (v6.1+)", () => {
    const d = checked({ era: "current", irqEntryFrames: [99] });
    const h1 = d.save(new Uint32Array([1, 2, 99, 5, 6]), 5, GFP_KERNEL);
    const h2 = d.save(new Uint32Array([1, 2, 99, 7, 8]), 5, GFP_KERNEL);
    expect(h2).toBe(h1);
    expect(d.fetchFrames(h1)).toEqual(new Uint32Array([1, 2, 99]));
    const old = checked({ era: "v4.9", irqEntryFrames: [99] });
    expect(old.save(new Uint32Array([1, 99, 5]), 3, GFP_KERNEL)).not.toBe(old.save(new Uint32Array([1, 99, 6]), 3, GFP_KERNEL));
  });
});

describe("bad input leaves the state byte-identical", () => {
  it("count, flags, handles, buffers", () => {
    const d = checked({ era: "current" });
    const h = d.save(trace(1), 16, GFP_KERNEL);
    const before = d.stateDigest();
    const bad: [() => unknown, string][] = [
      [() => d.save(trace(2), 17, GFP_KERNEL), "EINVAL"],
      [() => d.save(trace(2), -1, GFP_KERNEL), "EINVAL"],
      [() => d.save(trace(2), 1.5, GFP_KERNEL), "EINVAL"],
      [() => d.save(trace(2), 16, GFP_KERNEL, 4), "EINVAL"],
      [() => d.fetch(h, new Uint32Array(15)), "EINVAL"],
      [() => d.fetch(h, new Uint32Array(16), 1), "EINVAL"],
      [() => d.fetch(-1, new Uint32Array(16)), "EINVAL"],
      [() => d.fetch(2 ** 32, new Uint32Array(16)), "EINVAL"],
    ];
    for (const [fn, code] of bad) {
      expect(fn).toThrow(expect.objectContaining({ code }));
      expect(d.stateDigest()).toBe(before);
    }
  });

  it("disabled depot (stack_depot_disable) stores nothing", () => {
    const src = new RecordingSource();
    const d = checked({ disabled: true, pageSource: src });
    expect(d.save(trace(1), 16, GFP_KERNEL)).toBe(0);
    expect(src.allocs).toHaveLength(0);
    expect(d.stats().tableBytes).toBe(0);
  });
});

describe("re-entrancy: the page source calls back into the depot (buddy -> page_owner -> depot)", () => {
  it("a nested save of another trace during the pool allocation", () => {
    const src = new RecordingSource();
    const d = createStackDepot({ pageSource: src, buckets: 64 });
    let nested = 0;
    src.onAlloc = () => {
      if (nested > 0) return; // page_owner's recursion guard: the inner allocation stores dummy_handle
      nested++;
      expect(d.save(trace(1000 + src.allocs.length), 16, GFP_KERNEL)).not.toBe(0);
      nested--;
    };
    const handles = Array.from({ length: 300 }, (_, t) => d.save(trace(t), 16, GFP_KERNEL));
    d.checkInvariants();
    expect(handles.every((h) => h !== 0)).toBe(true);
    for (let t = 0; t < 300; t++) expect(d.fetchFrames(handles[t])).toEqual(trace(t));
    // spares were kept or returned, never leaked
    const s = d.stats();
    expect(src.held).toBe(s.pools + s.sparePools);
  });

  it("a nested save of the same trace: the outer save finds it on its second look-up", () => {
    const src = new RecordingSource();
    const d = createStackDepot({ pageSource: src, buckets: 64 });
    let inner = -1;
    let entered = false;
    src.onAlloc = () => {
      if (entered) return; // the recursion guard stops the third level
      entered = true;
      inner = d.save(trace(42), 16, GFP_KERNEL);
    };
    const outer = d.save(trace(42), 16, GFP_KERNEL);
    expect(outer).toBe(inner);
    expect(d.stats().uniqueStacks).toBe(1);
    d.checkInvariants();
  });

  it("the caller's frame buffer may be clobbered by the nested call", () => {
    const src = new RecordingSource();
    const d = createStackDepot({ pageSource: src, buckets: 64 });
    const shared = trace(7);
    src.onAlloc = () => {
      shared.set(trace(8)); // page_owner reusing one scratch array for the nested capture
    };
    const h = d.save(shared, 16, GFP_KERNEL);
    src.onAlloc = null;
    expect(d.fetchFrames(h)).toEqual(trace(7));
    d.checkInvariants();
  });
});

describe("printing", () => {
  it("snprint / print: one line per frame, 1 + spaces blanks", () => {
    const symbols: SymbolTable = { intern: () => 0, symbolize: (id) => `fn${id}+0x${id.toString(16)}/0x100` };
    const sink = logSink();
    const d = checked({ log: sink.log });
    const h = d.save(new Uint32Array([1, 2, 3]), 3, GFP_KERNEL);
    expect(d.snprint(h, symbols)).toBe(" fn1+0x1/0x100\n fn2+0x2/0x100\n fn3+0x3/0x100\n");
    expect(d.snprint(h, symbols, 2)).toBe("   fn1+0x1/0x100\n   fn2+0x2/0x100\n   fn3+0x3/0x100\n");
    d.print(h, symbols);
    expect(sink.lines).toEqual([" fn1+0x1/0x100", " fn2+0x2/0x100", " fn3+0x3/0x100"]);
    expect(d.snprint(0, symbols)).toBe("");
  });

  it("fetch of a corrupt handle warns like depot_fetch_stack", () => {
    const sink = logSink();
    const d = checked({ log: sink.log });
    d.save(trace(1), 16, GFP_KERNEL);
    expect(d.fetch(0x00020000, new Uint32Array(16))).toBe(0);
    expect(sink.lines).toEqual([
      "pool index -1 out of bounds (1) for stack id 00020000",
      "corrupt handle or use after stack_depot_put()",
    ]);
    const old = logSink();
    const d61 = checked({ era: "v6.1", log: old.log });
    d61.save(trace(1), 16, GFP_KERNEL);
    expect(d61.fetch(0x04000007, new Uint32Array(16))).toBe(0);
    expect(old.lines).toEqual(["slab index 7 out of bounds (0) for stack id 04000007"]);
  });
});
