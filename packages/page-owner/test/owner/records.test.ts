/**
 * The shared record tables behind page_owner's per-page indices (src/owner/records.ts): page
 * counts, reuse, copy-on-write, and that what a page reads is what the kernel's per-page struct
 * would hold.
 */
import { describe, expect, it } from "vitest";
import { GFP_KERNEL, MR_COMPACTION } from "@mm/api";
import { AllocRecords, assignRange, FreeRecords, ownRecord, rewriteRange } from "../../src/owner/records.js";
import { type Booted, boot } from "./setup.js";

function asUser(b: Booted, fn: () => number): number {
  b.tasks.cur = b.user;
  try {
    return fn();
  } finally {
    b.tasks.cur = b.init;
  }
}

describe("record tables", () => {
  it("count the pages pointing at a record and reuse a record no page points at", () => {
    const t = new FreeRecords();
    const idx = new Uint32Array(64);
    const r1 = t.take(16);
    assignRange(t, idx, 0, 16, r1);
    expect(t.refs[r1]).toBe(16);
    const r2 = t.take(8);
    assignRange(t, idx, 8, 16, r2); // half of r1's pages move
    expect([t.refs[r1], t.refs[r2]]).toEqual([8, 8]);
    const r3 = t.take(16);
    assignRange(t, idx, 0, 16, r3); // r1 and r2 lose every page
    expect([t.refs[r1], t.refs[r2], t.refs[r3]]).toEqual([0, 0, 16]);
    expect([...t.freeRecords()].sort()).toEqual([r1, r2].sort());
    // LIFO reuse: the next record is the last one freed, and the table did not grow.
    const used = t.used;
    expect(t.take(1)).toBe(r2);
    expect([...t.freeRecords()]).toEqual([r1]);
    expect(t.used).toBe(used);
  });

  it("copy on write: a page-by-page write leaves the other pages' record alone", () => {
    const t = new AllocRecords(false);
    const idx = new Uint32Array(8);
    const r = t.take(8);
    t.handle[r] = 7;
    t.reason[r] = -1;
    assignRange(t, idx, 0, 8, r);
    const own = ownRecord(t, idx, 0);
    expect(own).not.toBe(r);
    t.reason[own] = 3;
    expect([t.handle[own], t.reason[own], t.reason[r], t.refs[r], t.refs[own]]).toEqual([7, 3, -1, 7, 1]);
    expect(ownRecord(t, idx, 0)).toBe(own); // already its own: written in place
    // A run that holds every page of its record is rewritten in place; a partial run is copied.
    rewriteRange(t, idx, 1, 8, (x) => (t.handle[x] = 9));
    expect(idx[1]).toBe(r);
    expect(t.handle[r]).toBe(9);
    rewriteRange(t, idx, 1, 4, (x) => (t.handle[x] = 11));
    expect(idx[1]).not.toBe(r);
    expect([t.handle[idx[1]], t.handle[idx[5]], t.refs[r]]).toEqual([11, 9, 4]);
  });

  it("grows by doubling and keeps what it held", () => {
    const t = new AllocRecords(true);
    const cap = t.capacity;
    const rs: number[] = [];
    for (let i = 0; i < cap + 5; i++) {
      const r = t.take(1);
      t.ts[r] = i;
      t.trace[r * 8 + 7] = i;
      rs.push(r);
    }
    expect(t.capacity).toBe(cap * 2);
    expect(rs.every((r, i) => t.ts[r] === i && t.trace[r * 8 + 7] === i)).toBe(true);
  });
});

describe("page_owner over shared records", () => {
  it("an order-3 allocation is one record for 8 pages; a free is one more; the invariants recount both", () => {
    const b = boot();
    const usedA = b.po.state().a.used;
    const pfn = asUser(b, () => b.m.allocPages(3, GFP_KERNEL));
    const s = b.po.state();
    const r = s.alloc[pfn];
    expect([...s.alloc.subarray(pfn, pfn + 8)].every((x) => x === r)).toBe(true);
    expect(s.a.refs[r]).toBe(8);
    expect(s.a.used).toBe(usedA + 1);
    b.m.freePages(pfn, 3);
    expect(new Set(s.free.subarray(pfn, pfn + 8)).size).toBe(1);
    b.check();
  });

  it("a 6.1 migration gives the new head its own record; its other pages and the old block keep theirs", () => {
    const b = boot();
    const src = asUser(b, () => b.m.allocPages(2, GFP_KERNEL));
    const dst = b.m.allocPages(2, GFP_KERNEL);
    const before = [1, 2, 3].map((i) => b.po.record(dst + i));
    const old = [0, 1, 2, 3].map((i) => b.po.record(src + i));
    b.po.hooks.migrate!(src, dst, 2, MR_COMPACTION);
    const head = b.po.record(dst);
    expect(head.pid).toBe(old[0].pid);
    expect(head.handle).toBe(old[0].handle);
    expect(head.lastMigrateReason).toBe(MR_COMPACTION);
    expect(head.freeTsNsec).toBe(old[0].tsNsec); // 6.1's quirk: free_ts takes the old ts
    expect([1, 2, 3].map((i) => b.po.record(dst + i))).toEqual(before);
    expect([0, 1, 2, 3].map((i) => b.po.record(src + i))).toEqual(old);
    b.check();
  });
});
