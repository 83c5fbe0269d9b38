import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decodeLlfreeEntry, encodeLlfreeEntry, EV_ALLOC, EV_FREE, LLFREE_ENTRIES_PER_PAGE, readLlfreeTrace, readTrace, writeLlfreeTrace, type LlfreeEntry } from "@mm/trace";

describe("LLFree binary trace (llfree-rs eval/src/bin/replay.rs)", () => {
  it("packs 255 u128 entries after a 16-byte-aligned cpuid in each 4 KiB page", () => {
    expect(LLFREE_ENTRIES_PER_PAGE).toBe(255);
  });

  it("entry bit fields round-trip (time 38 · pfn 24 · alloc 1 · order 4 · gfp 29 · pid 32)", () => {
    const view = new DataView(new ArrayBuffer(16));
    fc.assert(
      fc.property(
        fc.record({
          timeUs: fc.integer({ min: 0, max: 2 ** 38 - 1 }),
          pfn: fc.integer({ min: 1, max: 2 ** 24 - 1 }),
          alloc: fc.boolean(),
          order: fc.integer({ min: 0, max: 15 }),
          gfp: fc.integer({ min: 0, max: 2 ** 29 - 1 }),
          pid: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        }),
        (e) => {
          encodeLlfreeEntry(view, 0, e);
          const out: LlfreeEntry = { timeUs: 0, pfn: 0, alloc: false, order: 0, gfp: 0, pid: 0 };
          expect(decodeLlfreeEntry(view, 0, out)).toBe(true);
          expect(out).toEqual(e);
        },
      ),
    );
  });

  it("bit positions match the bitfield layout (LSB first)", () => {
    const view = new DataView(new ArrayBuffer(16));
    encodeLlfreeEntry(view, 0, { timeUs: 1, pfn: 1, alloc: true, order: 1, gfp: 1, pid: 1 });
    const lo = view.getBigUint64(0, true);
    const hi = view.getBigUint64(8, true);
    const v = lo | (hi << 64n);
    expect(v).toBe((1n << 0n) | (1n << 38n) | (1n << 62n) | (1n << 63n) | (1n << 67n) | (1n << 96n));
  });

  it("merges the per-CPU pages by time, stable, stopping a page at pfn 0", async () => {
    const cpu0: LlfreeEntry[] = [];
    const cpu1: LlfreeEntry[] = [];
    for (let i = 0; i < 300; i++) cpu0.push({ timeUs: i * 2, pfn: 100 + i, alloc: true, order: 0, gfp: 0xcc0, pid: 1 });
    for (let i = 0; i < 10; i++) cpu1.push({ timeUs: i * 2 + 1, pfn: 100 + i, alloc: false, order: 0, gfp: 0, pid: 2 });
    const img = writeLlfreeTrace([cpu0, cpu1], 1000);
    const dir = mkdtempSync(join(tmpdir(), "llfree-"));
    const path = join(dir, "trace.bin");
    writeFileSync(path, img);
    const seen: [number, number, number][] = [];
    const { header, stats } = readLlfreeTrace(path, (e) => seen.push([e.tsNs / 1000, e.kind, e.cpu]));
    expect(header).toEqual({ pages: 3, cores: 2, maxPfn: 1000 });
    expect(seen).toHaveLength(310);
    for (let i = 1; i < seen.length; i++) expect(seen[i][0]).toBeGreaterThanOrEqual(seen[i - 1][0]);
    expect(seen.slice(0, 3)).toEqual([
      [0, EV_ALLOC, 0],
      [1, EV_FREE, 1],
      [2, EV_ALLOC, 0],
    ]);
    expect(stats.events[EV_ALLOC]).toBe(300);
    // readTrace recognises the format from the content.
    let n = 0;
    const s2 = await readTrace(path, () => n++);
    expect(s2.format).toBe("llfree");
    expect(n).toBe(310);
  });

  it("rejects a file that is not whole pages", () => {
    const dir = mkdtempSync(join(tmpdir(), "llfree-"));
    const path = join(dir, "bad.bin");
    writeFileSync(path, new Uint8Array(5000));
    expect(() => readLlfreeTrace(path, () => {})).toThrow(/whole number of 4 KiB pages/);
  });
});
