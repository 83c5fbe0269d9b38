import {
  GFP_HIGHUSER_MOVABLE,
  GFP_KERNEL,
  isMmError,
  MR_COMPACTION,
  MR_CONTIG_RANGE,
  TASK_IN_PAGE_OWNER,
  __GFP_COMP,
} from "@mm/api";
import { createPageExt } from "@mm/page-ext";
import { createStackDepot, type StackDepot } from "@mm/stackdepot";
import { describe, expect, it } from "vitest";
import {
  createPageOwner,
  depotStorage,
  ERA_TRAITS,
  ownerClientSize,
  showStacks,
  stackScanGuard,
  taskFlagGuard,
} from "../../src/index.js";
import { ALLOC_FRAMES, FREE_FRAMES, FakeDepot, FakeTask } from "./fakes.js";
import { boot, INIT_FRAMES, texts, type Booted } from "./setup.js";

const USER_STACK = ["alloc_pages+0x90/0x1a0", "memhog_main+0x40/0x100", "do_syscall_64+0x3b/0x90", "entry_SYSCALL_64_after_hwframe+0x63/0xcd"];

function allocAs(b: Booted, task: FakeTask, order: number, gfp: number): number {
  b.tasks.cur = task;
  try {
    const pfn = b.m.allocPages(order, gfp);
    b.check();
    return pfn;
  } finally {
    b.tasks.cur = b.init;
  }
}

function freeAs(b: Booted, task: FakeTask, pfn: number, order: number): void {
  b.tasks.cur = task;
  try {
    b.m.freePages(pfn, order);
    b.check();
  } finally {
    b.tasks.cur = b.init;
  }
}

describe("allocation", () => {
  it("records every field on every sub-page", () => {
    const b = boot();
    b.clock.t = 123_456_789;
    const pfn = allocAs(b, b.user, 2, GFP_HIGHUSER_MOVABLE | __GFP_COMP);
    for (let p = pfn; p < pfn + 4; p++) {
      const r = b.po.record(p);
      expect(r).toMatchObject({
        owner: true,
        allocated: true,
        order: 2,
        gfp: GFP_HIGHUSER_MOVABLE | __GFP_COMP,
        lastMigrateReason: -1,
        tsNsec: 123_456_789,
        pid: 4242,
        tgid: 4240,
        comm: "memhog",
        freeHandle: 0,
        freeTsNsec: 0,
      });
      // skip 2 drops save_stack and __set_page_owner: the trace starts at the allocator.
      expect(texts(b, r.stack)).toEqual([...ALLOC_FRAMES, ...USER_STACK]);
      expect(r.handle).toBe(b.po.record(pfn).handle);
    }
    expect(b.po.record(pfn + 4).owner).toBe(false);
  });

  it("keeps 16 frames of a deep stack", () => {
    const b = boot();
    const deep = new FakeTask(7, 7, "deep");
    b.frames(
      deep,
      Array.from({ length: 30 }, (_, i) => `f${29 - i}+0x1/0x10`),
    );
    const pfn = allocAs(b, deep, 0, GFP_KERNEL);
    const st = texts(b, b.po.record(pfn).stack);
    expect(st.length).toBe(16);
    expect(st.slice(0, 3)).toEqual([...ALLOC_FRAMES, "f0+0x1/0x10"]);
    expect(st[15]).toBe("f13+0x1/0x10");
  });

  it("does nothing when page_owner is off (page_owner=off)", () => {
    const b = boot({ enabled: false });
    expect(b.pe.entrySize).toBe(0);
    expect(b.lines).toEqual([]);
    b.m.allocPages(0, GFP_KERNEL);
    expect(b.po.inited).toBe(false);
    expect(() => b.po.record(0)).toThrow(/BAD_STATE/);
  });

  it("does nothing before init (the static key is off)", () => {
    const sym = new Map<string, number>();
    const symbols = {
      intern: (t: string) => sym.get(t) ?? (sym.set(t, sym.size + 1), sym.size),
      symbolize: () => "",
    };
    const pe = createPageExt({ ranges: [{ startPfn: 0, endPfn: 1024 }] });
    const task = new FakeTask(1, 1, "x");
    const po = createPageOwner({
      pageExt: pe,
      storage: depotStorage({ save: () => 1, fetch: () => 0 }),
      tasks: { current: () => task },
      clock: { now: () => 0 },
      symbols,
      memory: { startPfn: 0, endPfn: 0, zones: [] } as never,
    });
    po.hooks.postAlloc!(5, 0, GFP_KERNEL);
    po.hooks.freePrepare!(5, 0);
    expect(po.inited).toBe(false);
  });
});

describe("free", () => {
  it("keeps the allocation, adds the free stack and time, clears only ALLOCATED", () => {
    const b = boot();
    b.clock.t = 1000;
    const pfn = allocAs(b, b.user, 1, GFP_KERNEL);
    const before = b.po.record(pfn);
    const killer = new FakeTask(99, 98, "kworker/0:1");
    b.frames(killer, ["ret_from_fork+0x22/0x30", "worker_thread+0x50/0x3c0", "put_pages+0x11/0x40"]);
    b.clock.t = 5000;
    freeAs(b, killer, pfn, 1);
    for (const p of [pfn, pfn + 1]) {
      const r = b.po.record(p);
      expect(r).toMatchObject({
        owner: true,
        allocated: false,
        order: 1,
        gfp: GFP_KERNEL,
        pid: 4242,
        comm: "memhog",
        tsNsec: 1000,
        freeTsNsec: 5000,
        handle: before.handle,
        freePid: 0, // 6.1 has no free_pid
      });
      expect(texts(b, r.freeStack)).toEqual([...FREE_FRAMES, "put_pages+0x11/0x40", "worker_thread+0x50/0x3c0", "ret_from_fork+0x22/0x30"]);
    }
  });

  it("records free_pid and free_tgid from 6.10", () => {
    const b = boot({ era: "6.10" });
    const pfn = allocAs(b, b.user, 0, GFP_KERNEL);
    const k = new FakeTask(77, 70, "kswapd0");
    freeAs(b, k, pfn, 0);
    expect(b.po.record(pfn)).toMatchObject({ freePid: 77, freeTgid: 70, allocated: false, owner: true });
  });

  it("before 5.4 a free forgets the page (v4.7 had only PAGE_EXT_OWNER)", () => {
    const b = boot({ era: "v4.7" });
    const pfn = allocAs(b, b.user, 0, GFP_KERNEL);
    const saves = b.depot.saves;
    freeAs(b, b.user, pfn, 0);
    expect(b.po.record(pfn)).toMatchObject({ owner: false, allocated: false, freeHandle: 0 });
    expect(b.depot.saves).toBe(saves); // no free stack captured
  });
});

describe("split and migration", () => {
  it("split_page_owner makes every piece order 0 with the original stack", () => {
    const b = boot();
    const pfn = allocAs(b, b.user, 3, GFP_KERNEL);
    const h = b.po.record(pfn).handle;
    b.m.splitPage(pfn, 3);
    b.check();
    for (let p = pfn; p < pfn + 8; p++) expect(b.po.record(p)).toMatchObject({ order: 0, handle: h, allocated: true });
    freeAs(b, b.user, pfn + 5, 0);
    expect(b.po.record(pfn + 5).allocated).toBe(false);
    expect(b.po.record(pfn + 4).allocated).toBe(true);
  });

  it("6.1 copies the head record to the new page, with the reason and the free_ts quirk", () => {
    const b = boot();
    b.clock.t = 10;
    const old = allocAs(b, b.user, 1, GFP_HIGHUSER_MOVABLE);
    const o = b.po.record(old);
    const kcompactd = new FakeTask(30, 30, "kcompactd0");
    b.frames(kcompactd, ["kcompactd+0x10/0x300", "compact_zone+0x20/0x900", "migrate_pages+0x1/0x500"]);
    b.clock.t = 20;
    b.tasks.cur = kcompactd;
    const nw = b.m.migratePage(old, MR_COMPACTION, GFP_HIGHUSER_MOVABLE);
    b.tasks.cur = b.init;
    b.check();
    const n = b.po.record(nw);
    expect(n).toMatchObject({
      order: 1,
      gfp: GFP_HIGHUSER_MOVABLE,
      handle: o.handle,
      pid: 4242,
      tgid: 4240,
      comm: "memhog",
      tsNsec: 10,
      freeTsNsec: 10, // 6.0-6.10: free_ts_nsec = old ts_nsec
      lastMigrateReason: MR_COMPACTION,
      allocated: true,
    });
    // The tail keeps what the migration target's allocation wrote (6.1 copies the head only).
    expect(b.po.record(nw + 1)).toMatchObject({ pid: 30, comm: "kcompactd0", lastMigrateReason: -1 });
    // The old page was freed afterwards by the migration code.
    expect(b.po.record(old)).toMatchObject({ allocated: false, owner: true, lastMigrateReason: -1, handle: o.handle });
  });

  it("6.10 copies the whole folio and swaps handles so stack counts balance", () => {
    const b = boot({ era: "6.10" });
    const old = allocAs(b, b.user, 2, GFP_HIGHUSER_MOVABLE);
    const orig = b.po.record(old).handle;
    const kcompactd = new FakeTask(30, 30, "kcompactd0");
    b.frames(kcompactd, ["kcompactd+0x10/0x300"]);
    b.tasks.cur = kcompactd;
    const nw = b.m.migratePage(old, MR_CONTIG_RANGE, GFP_HIGHUSER_MOVABLE);
    b.tasks.cur = b.init;
    b.check();
    for (let p = nw; p < nw + 4; p++) expect(b.po.record(p)).toMatchObject({ handle: orig, pid: 4242, comm: "memhog" });
    expect(b.po.record(nw).lastMigrateReason).toBe(MR_CONTIG_RANGE);
    expect(b.po.stackCount(orig)).toBe(4);
    const target = b.po.record(old).handle; // the old folio now carries the target's stack
    expect(target).not.toBe(orig);
    expect(b.po.stackCount(target)).toBe(0);
  });
});

describe("early allocated pages", () => {
  it("marks pages allocated before init with early_handle and prints the count", () => {
    const b = boot({ reserved: 16, early: 40 });
    // 40 boot pages, plus the depot pool(s) taken while the special stacks were registered.
    const pools = (b.depot.poolPfns.length + (b.depot.spare >= 0 ? 1 : 0)) * 4;
    expect(pools).toBeGreaterThan(0);
    expect(b.lines).toContain(`Node 0, zone    DMA32: page owner found early allocated ${40 + pools} pages`);
    expect(b.po.counters.earlyPages).toEqual([40 + pools]);
    const r = b.po.record(16);
    expect(r).toMatchObject({ owner: true, allocated: true, order: 0, gfp: 0, handle: b.po.earlyHandle, pid: 1, comm: "swapper/0" });
    expect(texts(b, r.stack)).toEqual([
      "register_early_stack+0x31/0x65",
      "init_page_owner+0x33/0x300",
      "kernel_init_freeable+0x13c/0x26b",
      "kernel_init+0x11/0x110",
    ]);
    expect(b.po.record(15).owner).toBe(false); // reserved
    expect(b.po.record(4000).owner).toBe(false); // free
  });

  it("counts the depot pool taken while registering the special stacks as early", () => {
    const b = boot({ perPool: 2 });
    // dummy, failure and early stacks: 3 records, pools of 2 -> 2 pools (+1 spare kept) before the key flips.
    expect(b.depot.pools).toBe(2);
    expect(b.po.counters.earlyPages[0]).toBe(b.depot.poolPfns.length * 4 + (b.depot.spare >= 0 ? 4 : 0));
    expect(b.po.record(b.depot.poolPfns[0]).handle).toBe(b.po.earlyHandle);
    expect(new Set([b.po.dummyHandle, b.po.failureHandle, b.po.earlyHandle]).size).toBe(3);
  });
});

describe("recursion through the depot's page allocations", () => {
  for (const [name, guard] of [
    ["2016 stack scan", stackScanGuard],
    ["2021 per-task flag", taskFlagGuard],
  ] as const) {
    it(`${name}: terminates, and the depot's own pages carry dummy_handle`, () => {
      const b = boot({ guard: guard(), perPool: 1 });
      const before = b.depot.pools;
      const dummies = b.po.counters.dummy;
      // Every new stack needs a new pool (1 record per pool), so every allocation from a new
      // call site re-enters page_owner through the depot's pool allocation.
      const sites: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = new FakeTask(100 + i, 100 + i, `t${i}`);
        b.frames(t, [`site${i}+0x1/0x10`]);
        sites.push(allocAs(b, t, 0, GFP_KERNEL));
      }
      expect(b.depot.pools).toBeGreaterThan(before);
      expect(b.po.counters.dummy).toBeGreaterThan(dummies);
      const poolPages = b.depot.poolPfns.slice(before > 0 ? 0 : 0).filter((p) => b.po.record(p).handle === b.po.dummyHandle);
      expect(poolPages.length).toBeGreaterThan(0);
      for (const p of poolPages) {
        const r = b.po.record(p);
        expect(r.order).toBe(2);
        expect(texts(b, r.stack)).toEqual(["register_dummy_stack+0x31/0x65", "init_page_owner+0x29/0x300", ...INIT_FRAMES.slice().reverse().slice(0, 2)]);
      }
      for (const [i, p] of sites.entries()) expect(texts(b, b.po.record(p).stack)).toContain(`site${i}+0x1/0x10`);
      expect(b.init.flags & TASK_IN_PAGE_OWNER).toBe(0);
    });
  }

  it("the stack scan only sees the recursion in the raw trace (save_stack, __set_page_owner twice)", () => {
    const b = boot({ era: "v4.7", perPool: 1 });
    expect(b.po.guard.name).toBe("stack-scan");
    const pfn = allocAs(b, b.user, 0, GFP_KERNEL);
    // v4.7 kept skip 0: the stored trace begins with page_owner's own frames.
    expect(texts(b, b.po.record(pfn).stack).slice(0, 4)).toEqual(["save_stack+0x6b/0xd0", "__set_page_owner+0x2f/0x1a0", ...ALLOC_FRAMES]);
    const poolPfn = b.depot.poolPfns[b.depot.poolPfns.length - 1];
    expect(b.po.record(poolPfn).handle).toBe(b.po.dummyHandle);
  });

  it("seed 002: when capturing the trace allocates, only the per-task flag terminates", () => {
    let depth = 0;
    const unwinder = (b: Booted) => {
      // ia64's unwinder: kmalloc from inside save_stack -> a page allocation.
      depth++;
      try {
        b.m.allocPages(0, GFP_KERNEL);
      } finally {
        depth--;
      }
    };
    const flag = boot({ guard: taskFlagGuard(), onUnwind: unwinder });
    const pfn = allocAs(flag, flag.user, 0, GFP_KERNEL);
    expect(flag.po.record(pfn).handle).not.toBe(flag.po.dummyHandle);
    expect(flag.po.record(pfn + 1).handle).toBe(flag.po.dummyHandle); // the unwinder's page
    expect(depth).toBe(0);

    const scan = boot({ guard: stackScanGuard(), onUnwind: unwinder });
    let err: unknown;
    try {
      allocAs(scan, scan.user, 0, GFP_KERNEL);
    } catch (e) {
      err = e;
    }
    // Each level pushes frames and allocates again before it can scan: the kernel stack overflows.
    expect(isMmError(err, "BAD_STATE")).toBe(true);
    expect(String(err)).toMatch(/stack overflow/);
  });
});

describe("depot failure", () => {
  it("stores failure_handle when the depot cannot allocate a pool, and the page is still allocated", () => {
    const b = boot({ perPool: 1 });
    b.m.failFromOrder = 2; // pool allocations (order 2) fail from now on
    if (b.depot.spare >= 0) {
      b.m.freePages(b.depot.spare, 2);
      b.depot.spare = -1;
    }
    const t = new FakeTask(5, 5, "newsite");
    b.frames(t, ["brand_new_site+0x1/0x10"]);
    const pfn = allocAs(b, t, 0, GFP_KERNEL);
    expect(b.po.record(pfn)).toMatchObject({ handle: b.po.failureHandle, allocated: true, pid: 5 });
    expect(b.po.counters.failure).toBe(1);
    expect(texts(b, b.po.record(pfn).stack)[0]).toBe("register_failure_stack+0x31/0x65");
    // A known stack still dedups without allocating.
    const again = allocAs(b, t, 0, GFP_KERNEL);
    expect(b.po.record(again).handle).toBe(b.po.failureHandle);
    b.m.failFromOrder = 99;
    const ok = allocAs(b, t, 0, GFP_KERNEL);
    expect(b.po.record(ok).handle).not.toBe(b.po.failureHandle);
  });

  it("a depot at its pool cap fails the same way", () => {
    const b = boot({ perPool: 1 });
    b.depot.maxPools = b.depot.pools;
    const t = new FakeTask(5, 5, "capped");
    b.frames(t, ["capped_site+0x1/0x10"]);
    const pfn = allocAs(b, t, 0, GFP_KERNEL);
    expect(b.po.record(pfn).handle).toBe(b.po.failureHandle);
  });
});

describe("storage policies", () => {
  it("inline storage keeps 8 frames per page and never touches a depot", () => {
    const b = boot({ era: "v4.6" });
    expect(b.po.storage.kind).toBe("inline8");
    expect(b.pe.entrySize).toBe(88);
    const saves = b.depot.saves;
    const pfn = allocAs(b, b.user, 1, GFP_KERNEL);
    expect(b.depot.saves).toBe(saves);
    const r = b.po.record(pfn);
    expect(r.handle).toBe(0);
    // v4.6 skip 3: the unwinder's frame, __set_page_owner and get_page_from_freelist.
    expect(texts(b, r.stack)).toEqual([ALLOC_FRAMES[1], ...USER_STACK]);
    expect(texts(b, b.po.record(pfn + 1).stack)).toEqual(texts(b, r.stack));
    const deep = new FakeTask(8, 8, "deep");
    b.frames(deep, Array.from({ length: 20 }, (_, i) => `g${19 - i}+0x1/0x10`));
    const d = allocAs(b, deep, 0, GFP_KERNEL);
    expect(b.po.record(d).stack.length).toBe(8);
  });

  it("accounts the C layout of each era and of the storage swapped in", () => {
    const inline = { kind: "inline8", depot: null } as const;
    const depot = depotStorage(new FakeDepot({ allocPages: () => -1, freePages: () => {} }));
    expect(ownerClientSize("v4.6", inline) + 8).toBe(88);
    expect(ownerClientSize("v4.7", depot) + 8).toBe(24);
    expect(ownerClientSize("v4.6", depot) + 8).toBe(24); // v4.6 with a handle is v4.7
    expect(ownerClientSize("v4.7", inline) + 8).toBe(88);
    expect(ownerClientSize("6.1", depot) + 8).toBe(64);
    expect(ownerClientSize("6.10", depot) + 8).toBe(72);
    expect(ownerClientSize("6.1", inline) + 8).toBe(136); // 6.1's record with nr_entries + 8 frames for the handle (padded)
  });

  it("rejects inconsistent configurations", () => {
    const pe = createPageExt({ ranges: [{ startPfn: 0, endPfn: 1024 }] });
    const base = {
      pageExt: pe,
      tasks: { current: () => new FakeTask(1, 1, "x") },
      clock: { now: () => 0 },
      symbols: { intern: () => 1, symbolize: () => "" },
      memory: {} as never,
    };
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return isMmError(e) ? e.code : "other";
      }
      return "none";
    };
    expect(code(() => createPageOwner({ ...base }))).toBe("BAD_CONFIG");
    expect(code(() => createPageOwner({ ...base, era: "6.10", storage: { kind: "inline8", depot: null } }))).toBe("BAD_CONFIG");
    expect(code(() => createPageOwner({ ...base, era: "2.6" as never }))).toBe("BAD_CONFIG");
    expect(ERA_TRAITS["6.1"].skip).toBe(2);
  });
});

describe("stack counts (6.9+)", () => {
  it("counts base pages per stack, early pages excluded", () => {
    const b = boot({ era: "6.10", early: 10 });
    const a = allocAs(b, b.user, 2, GFP_KERNEL);
    const h = b.po.record(a).handle;
    expect(b.po.stackCount(h)).toBe(4);
    const c = allocAs(b, b.user, 0, GFP_KERNEL);
    expect(b.po.record(c).handle).toBe(h);
    expect(b.po.stackCount(h)).toBe(5);
    freeAs(b, b.user, a, 2);
    expect(b.po.stackCount(h)).toBe(1);
    // Freeing an early page does not touch any count.
    freeAs(b, b.user, 0, 0);
    expect(b.po.stackCount(b.po.earlyHandle)).toBeUndefined();
    // The depot pools taken after init are page_owner's own pages: counted under dummy_handle.
    let dummyPages = 0;
    for (let p = 0; p < 8192; p++) {
      const r = b.po.record(p);
      if (r.allocated && r.handle === b.po.dummyHandle) dummyPages++;
    }
    expect(dummyPages).toBeGreaterThan(0);
    expect(b.po.stackCount(b.po.dummyHandle)).toBe(dummyPages);
  });
});

describe("errors", () => {
  it("record() of a pfn without page_ext is PFN_OUT_OF_RANGE", () => {
    const b = boot();
    expect(() => b.po.record(1 << 20)).toThrow(/PFN_OUT_OF_RANGE/);
    expect(() => b.po.record(-1)).toThrow(/PFN_OUT_OF_RANGE/);
  });
});

describe("with the real @mm/stackdepot as the depot", () => {
  for (const [era, depotEra] of [
    ["v4.7", "v4.7"],
    ["6.1", "v6.1"],
    ["6.10", "current"],
  ] as const) {
    it(`${era}: pools re-enter page_owner and end up with dummy_handle; failures give failure_handle`, () => {
      let depot: StackDepot | undefined;
      const b = boot({ era, depot: (m) => (depot = createStackDepot({ era: depotEra, pageSource: m, memoryBytes: 32 << 20 })) });
      const d = depot!;
      // 250 distinct 14-frame stacks: more than one 16 KiB pool holds.
      const common = Array.from({ length: 10 }, (_, k) => `layer${k}+0x10/0x80`);
      for (let i = 0; i < 250; i++) {
        const t = new FakeTask(1000 + i, 1000 + i, `w${i % 7}`);
        b.frames(t, ["ret_from_fork+0x22/0x30", ...common, `worker${i}+0x10/0x80`, "alloc_pages+0x90/0x1a0"]);
        b.tasks.cur = t;
        b.m.allocPages(i % 3, GFP_KERNEL);
      }
      b.tasks.cur = b.init;
      b.check();
      d.checkInvariants();
      const { pools, spare } = d.poolPfns();
      const tracked = [...pools, ...(spare >= 0 ? [spare] : [])].filter((p) => b.po.record(p).owner);
      expect(tracked.length).toBeGreaterThan(0);
      // Pools taken after init are page_owner's own pages; the ones before init are early pages.
      for (const p of tracked) expect([b.po.dummyHandle, b.po.earlyHandle]).toContain(b.po.record(p).handle);
      expect(tracked.some((p) => b.po.record(p).handle === b.po.dummyHandle)).toBe(true);
      // No pool can be added any more: once the current pool and the spare are full, saves fail.
      b.m.failFromOrder = 2;
      const u = new FakeTask(9, 9, "late");
      b.tasks.cur = u;
      let p = -1;
      for (let i = 0; i < 3000 && b.po.counters.failure === 0; i++) {
        u.push(b.sym.intern(`never_seen_${i}+0x1/0x2`));
        p = b.m.allocPages(0, GFP_KERNEL);
        u.pop();
      }
      b.tasks.cur = b.init;
      expect(b.po.counters.failure).toBe(1);
      expect(b.po.record(p)).toMatchObject({ handle: b.po.failureHandle, allocated: true, pid: 9 });
      b.check();
    });
  }
});

describe("the trace memo", () => {
  it("changes nothing observable: same records, same depot contents, with and without it", () => {
    const run = (traceMemo: boolean) => {
      let depot: StackDepot | undefined;
      const b = boot({ era: "6.10", traceMemo, perPool: 1, depot: (m) => (depot = createStackDepot({ era: "current", pageSource: m, memoryBytes: 32 << 20 })) });
      const tasks = Array.from({ length: 12 }, (_, i) => {
        const t = new FakeTask(50 + i, 50 + i, `t${i % 5}`);
        b.frames(t, ["ret_from_fork+0x22/0x30", `site${i % 9}+0x10/0x80`, "alloc_pages+0x90/0x1a0"]);
        return t;
      });
      const live: [number, number][] = [];
      for (let i = 0; i < 400; i++) {
        b.clock.t += 17;
        b.tasks.cur = tasks[(i * 7) % 12];
        const o = i % 4 === 0 ? 1 : 0;
        live.push([b.m.allocPages(o, GFP_KERNEL), o]);
        if (i % 3 === 2) {
          const [p, po] = live.splice((i * 5) % live.length, 1)[0];
          b.m.freePages(p, po);
        }
      }
      b.tasks.cur = b.init;
      b.check();
      const recs = Array.from({ length: 2048 }, (_, p) => b.po.record(p));
      return { recs, depot: depot!.stateDigest(), stacks: showStacks(b.po), counters: b.po.counters };
    };
    const a = run(true);
    const c = run(false);
    expect(a.recs).toEqual(c.recs);
    expect(a.depot).toBe(c.depot);
    expect(a.stacks).toBe(c.stacks);
    expect(a.counters).toEqual(c.counters);
  });
});
