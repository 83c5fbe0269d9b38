import { PAGES_PER_SECTION } from "@mm/api";
import { describe, expect, it } from "vitest";
import { createPageExt, getOrder, pagesMemory, pageOwnerClientSize } from "../src/index.js";
import { FakeSource } from "./fake-source.js";

function boot(src: FakeSource, sections: number, size: number) {
  const mem = pagesMemory(src);
  const pe = createPageExt({ ranges: [{ startPfn: 0, endPfn: sections * PAGES_PER_SECTION }], memory: mem });
  pe.register({ name: "owner", size, needSharedFlags: true, fields: {}, need: () => true });
  return { mem, pe };
}

describe("getOrder", () => {
  it("is the kernel's get_order", () => {
    expect([getOrder(1), getOrder(4096), getOrder(4097), getOrder(2 << 20), getOrder(2883584)]).toEqual([0, 0, 1, 9, 10]);
  });
});

describe("pagesMemory: alloc_pages_exact_nid then vzalloc_node", () => {
  it("6.1: each section's 2 MiB table is one order-9 block, kept whole", () => {
    const src = new FakeSource(4096);
    const { mem, pe } = boot(src, 2, pageOwnerClientSize("6.1"));
    pe.init();
    expect(mem.pages).toBe(1024);
    expect(src.usedPages()).toBe(1024);
    expect(src.log).toEqual(["alloc 0 9", "alloc 512 9"]);
  });

  it("v4.6: 704 pages from an order-10 block, split, tail of 320 pages freed", () => {
    const src = new FakeSource(4096);
    const { mem, pe } = boot(src, 1, pageOwnerClientSize("v4.6"));
    pe.init();
    expect(mem.pages).toBe(704);
    expect(src.usedPages()).toBe(704);
    expect(src.log.slice(0, 3)).toEqual(["alloc 0 10", "split 0 10", "free 704 0"]);
    expect(src.log.filter((l) => l.startsWith("free")).length).toBe(320);
  });

  it("falls back to order-0 pages when no big block is available", () => {
    const src = new FakeSource(4096);
    src.maxOrder = 3;
    const { mem, pe } = boot(src, 1, pageOwnerClientSize("v4.7"));
    pe.init();
    expect(mem.vmallocTables).toBe(1);
    expect(mem.pages).toBe(192);
    expect(mem.pieces.length).toBe(192);
    expect(src.usedPages()).toBe(192);
  });

  it("goes straight to vzalloc when the table needs more than the max order", () => {
    const src = new FakeSource(8192);
    const { mem, pe } = boot(src, 1, 128); // 136 bytes a page: 1088 pages, order 11
    pe.init();
    expect(src.log.some((l) => l.endsWith(" 11"))).toBe(false);
    expect(mem.vmallocTables).toBe(1);
    expect(mem.pages).toBe(1088);
  });

  it("fails all or nothing and rolls every earlier table back", () => {
    const src = new FakeSource(4096);
    const { mem, pe } = boot(src, 3, pageOwnerClientSize("6.1"));
    // Section 0: one order-9 block. Section 1: the order-9 request fails, vzalloc gets 100 of its
    // 512 pages and then the machine is out of memory.
    const orig = src.allocPages.bind(src);
    let n = 0;
    src.allocPages = (order) => {
      n++;
      if (n === 2 || n > 102) return -1;
      return orig(order);
    };
    expect(() => pe.init()).toThrow(/NOMEM/);
    expect(src.usedPages()).toBe(0);
    expect(mem.pages).toBe(0);
    expect(mem.pieces.length).toBe(0);
  });
});
