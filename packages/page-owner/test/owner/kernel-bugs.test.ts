/**
 * mm/page_owner.c behaviour the model reproduces, bugs included, written from the 6.1 and 6.10+
 * sources (README "Kernel bugs we reproduce"): migration's free owner, split to a non-zero order,
 * and the trace memo being a labelled option that changes nothing observable.
 */
import { GFP_HIGHUSER_MOVABLE, GFP_KERNEL, MR_COMPACTION } from "@mm/api";
import { describe, expect, it } from "vitest";
import { dumpPageOwner, readPageOwnerFile } from "../../src/index.js";
import { FakeTask } from "./fakes.js";
import { boot, texts, type Booted } from "./setup.js";

function as<T>(b: Booted, task: FakeTask, fn: () => T): T {
  b.tasks.cur = task;
  try {
    const r = fn();
    b.check();
    return r;
  } finally {
    b.tasks.cur = b.init;
  }
}

/** An old folio (order 2, memhog), a target whose pages were freed before by kswapd, kcompactd migrating. */
function migrationScene(era: "6.1" | "6.10" | "6.19") {
  const b = boot({ era });
  b.clock.t = 100;
  const old = as(b, b.user, () => b.m.allocPages(2, GFP_HIGHUSER_MOVABLE));
  // The pages the migration will land on had a life: allocated by `prev`, freed by kswapd0.
  const prev = new FakeTask(700, 700, "prev");
  b.frames(prev, ["prev_main+0x10/0x100"]);
  const kswapd = new FakeTask(61, 60, "kswapd0");
  b.frames(kswapd, ["kswapd+0x1/0x200", "shrink_node+0x2/0x300"]);
  const earlier = as(b, prev, () => b.m.allocPages(2, GFP_KERNEL));
  b.clock.t = 200;
  as(b, kswapd, () => b.m.freePages(earlier, 2));
  const kcompactd = new FakeTask(30, 30, "kcompactd0");
  b.frames(kcompactd, ["kcompactd+0x10/0x300", "compact_zone+0x20/0x900", "migrate_pages+0x1/0x500"]);
  b.clock.t = 300;
  const nw = as(b, kcompactd, () => b.m.migratePage(old, MR_COMPACTION, GFP_HIGHUSER_MOVABLE));
  expect(nw).toBe(earlier); // the fake allocator reuses the lowest free block
  return { b, old, nw, kswapd, kcompactd };
}

describe("__folio_copy_owner: the new folio's free pid/tgid (6.9+ kernel bug)", () => {
  for (const era of ["6.10", "6.19"] as const) {
    it(`${era}: every sub-page stores the migrating task's pid and tgid, not the old folio's`, () => {
      const { b, old, nw } = migrationScene(era);
      const oldRec = b.po.record(old); // freed by the migration code (kcompactd) afterwards
      expect(oldRec).toMatchObject({ allocated: false, freePid: 30, freeTgid: 30 });
      for (let p = nw; p < nw + 4; p++) {
        const r = b.po.record(p);
        // __update_page_owner_handle copied old's allocation side ...
        expect(r).toMatchObject({ allocated: true, pid: 4242, tgid: 4240, comm: "memhog", order: 2, tsNsec: 100 });
        // ... __update_page_owner_free_handle(new, 0, order, old->free_pid, old->free_tgid,
        // old->free_ts_nsec) took free_ts from the old folio (never freed before: 0) but stored
        // current->pid/tgid (kcompactd0, 30) and, with handle 0, left free_handle alone.
        expect(r).toMatchObject({ freeTsNsec: 0, freePid: 30, freeTgid: 30 });
        expect(texts(b, r.freeStack)).toContain("shrink_node+0x2/0x300"); // kswapd's earlier free
      }
    });

    it(`${era}: dump_page_owner prints the migrating task beside an older free stack, as a real kernel`, () => {
      const { b, nw } = migrationScene(era);
      const lines = dumpPageOwner(b.po, nw);
      const i = lines.indexOf("page last free pid 30 tgid 30 stack trace:");
      expect(i).toBeGreaterThan(0);
      // The free stack printed under kcompactd's pid is kswapd0's (pid 61), from the earlier life.
      expect(lines.slice(i + 1, i + 5)).toEqual([
        " free_pcp_prepare+0x1f2/0x2a0",
        " free_unref_page+0x1d/0x130",
        " shrink_node+0x2/0x300",
        " kswapd+0x1/0x200",
      ]);
      expect(lines).not.toContain("page last free pid 61 tgid 60 stack trace:");
      expect(lines.at(-1)).toBe("page has been migrated, last migrate reason: compaction");
    });
  }

  it("6.1: the head record only, free_ts = the old ts (no free pid in 6.1)", () => {
    const { b, nw } = migrationScene("6.1");
    expect(b.po.record(nw)).toMatchObject({ pid: 4242, tsNsec: 100, freeTsNsec: 100, freePid: 0, freeTgid: 0 });
    expect(b.po.record(nw + 1)).toMatchObject({ pid: 30, comm: "kcompactd0" });
    expect(dumpPageOwner(b.po, nw)).toContain("page last free stack trace:");
  });
});

describe("__split_page_owner(page, old_order, new_order) (6.10+)", () => {
  it("6.10: a folio split to order 1 leaves every base page at order 1; read_page_owner prints 4 records", () => {
    const b = boot({ era: "6.10" });
    const pfn = as(b, b.user, () => b.m.allocPages(3, GFP_KERNEL));
    const h = b.po.record(pfn).handle;
    b.po.splitFolio(pfn, 3, 1);
    b.check();
    for (let p = pfn; p < pfn + 8; p++) expect(b.po.record(p)).toMatchObject({ order: 1, handle: h, allocated: true });
    const file = readPageOwnerFile(b.po, 1 << 20);
    expect(file.match(/^Page allocated via order 1,/gm)).toHaveLength(4);
    expect(file).not.toMatch(/^Page allocated via order [23],/m);
    // stack counts are per base page: unchanged by the split
    expect(b.po.stackCount(h)).toBe(8);
  });

  it("split_page is split_page_owner(page, order, 0) in every era", () => {
    for (const era of ["6.1", "6.10"] as const) {
      const b = boot({ era });
      const pfn = as(b, b.user, () => b.m.allocPages(2, GFP_KERNEL));
      b.m.splitPage(pfn, 2);
      for (let p = pfn; p < pfn + 4; p++) expect(b.po.record(p).order).toBe(0);
    }
  });

  it("6.1 has only __split_page_owner(page, nr): a non-zero new order, or one above the old, is EINVAL and changes nothing", () => {
    const b = boot({ era: "6.1" });
    const pfn = as(b, b.user, () => b.m.allocPages(3, GFP_KERNEL));
    const before = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => b.po.record(pfn + i));
    expect(() => b.po.splitFolio(pfn, 3, 1)).toThrow(expect.objectContaining({ code: "EINVAL" }));
    const b10 = boot({ era: "6.10" });
    expect(() => b10.po.splitFolio(0, 1, 2)).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((i) => b.po.record(pfn + i))).toEqual(before);
    b.po.splitFolio(pfn, 3, 0);
    expect(b.po.record(pfn + 5).order).toBe(0);
  });
});

describe("the trace memo is a labelled model-only option", () => {
  it("off by default (the kernel asks the depot every time): every save reaches the depot", () => {
    const b = boot({ era: "6.1" });
    const saves0 = b.depot.saves;
    for (let i = 0; i < 10; i++) {
      const pfn = as(b, b.user, () => b.m.allocPages(0, GFP_KERNEL));
      as(b, b.user, () => b.m.freePages(pfn, 0));
    }
    expect(b.depot.saves - saves0).toBe(20);
    const m = boot({ era: "6.1", traceMemo: true });
    const m0 = m.depot.saves;
    for (let i = 0; i < 10; i++) {
      const pfn = as(m, m.user, () => m.m.allocPages(0, GFP_KERNEL));
      as(m, m.user, () => m.m.freePages(pfn, 0));
    }
    // With the memo only the first alloc and the first free stack reach the depot.
    expect(m.depot.saves - m0).toBe(2);
    // Same records either way.
    expect(readPageOwnerFile(m.po, 1 << 20)).toBe(readPageOwnerFile(b.po, 1 << 20));
  });
});
