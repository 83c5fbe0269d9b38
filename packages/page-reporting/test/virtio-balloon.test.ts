import { isMmError } from "@mm/api";
import { describe, expect, it } from "vitest";
import { createScatterlist, createVirtioBalloon, sgSetPage } from "../src/index.js";

function batch(entries: [number, number][]): ReturnType<typeof createScatterlist> {
  const sgl = createScatterlist(32);
  entries.forEach(([pfn, order], i) => sgSetPage(sgl, 32 - entries.length + i, pfn, order));
  return sgl;
}

describe("virtio-balloon device model", () => {
  it("report() costs perRequestNs + MiB * perMiBNs and discards the pages on the host", () => {
    const dev = createVirtioBalloon({ nrPages: 8192, perRequestNs: 50_000, perMiBNs: 250_000 });
    const sgl = batch([
      [0, 10],
      [1024, 9],
    ]);
    const ns = dev.report(sgl, 30, 2);
    expect(ns).toBe(50_000 + 6 * 250_000);
    expect(dev.hostResidentPages).toBe(8192 - 1536);
    expect(dev.discardedPages).toBe(1536);
    expect(dev.reportedPages).toBe(1536);
    expect(dev.busyNs).toBe(ns);
    expect(dev.isDiscarded(1535)).toBe(true);
    expect(dev.isDiscarded(1536)).toBe(false);
  });

  it("a page reported twice is discarded once; the host charges both requests", () => {
    const dev = createVirtioBalloon({ nrPages: 4096 });
    dev.report(batch([[0, 9]]), 31, 1);
    dev.report(batch([[0, 10]]), 31, 1);
    expect(dev.discardedPages).toBe(1024);
    expect(dev.reportedPages).toBe(1536);
    expect(dev.reports).toBe(2);
  });

  it("touching discarded pages refaults them, with their cost; resident memory grows back", () => {
    const dev = createVirtioBalloon({ nrPages: 4096, refaultNsPerPage: 3_000 });
    dev.report(batch([[512, 9]]), 31, 1);
    expect(dev.touch(500, 4)).toBe(4 * 3_000); // pages 512..515 of 500..515
    expect(dev.refaultPages).toBe(4);
    expect(dev.touch(512, 2)).toBe(0); // already back
    dev.hooks.postAlloc?.(520, 3, 0);
    expect(dev.refaultPages).toBe(12);
    expect(dev.refaultNs).toBe(36_000);
    expect(dev.hostResidentPages).toBe(4096 - 512 + 12);
  });

  it("injected errors return the errno at once and discard nothing", () => {
    const dev = createVirtioBalloon({ nrPages: 4096, injectError: (c) => (c === 0 ? -12 : 0) });
    expect(dev.report(batch([[0, 9]]), 31, 1)).toBe(-12);
    expect(dev.discardedPages).toBe(0);
    expect(dev.report(batch([[0, 9]]), 31, 1)).toBeGreaterThan(0);
    expect(dev.reports).toBe(2);
  });

  it("bad configuration and bad batches raise MmError and change nothing", () => {
    expect(() => createVirtioBalloon({ nrPages: 0 })).toThrow(/EINVAL/);
    expect(() => createVirtioBalloon({ nrPages: 8, perMiBNs: -1 })).toThrow(/EINVAL/);
    let err: unknown;
    try {
      createVirtioBalloon({ nrPages: 8, vqSize: 16 });
    } catch (e) {
      err = e;
    }
    expect(isMmError(err, "BAD_CONFIG")).toBe(true);
    expect((err as { detail: { errno: number } }).detail.errno).toBe(-28);
    const dev = createVirtioBalloon({ nrPages: 2048 });
    for (const [sgl, start, n, code] of [
      [batch([[0, 9]]), 31, 2, "BAD_STATE"], // chain shorter than nents
      [batch([[0, 9]]), 30, 2, "BAD_STATE"], // entry 30 is empty
      [batch([[1536, 10]]), 31, 1, "PFN_OUT_OF_RANGE"],
    ] as const) {
      let e2: unknown;
      try {
        dev.report(sgl, start, n);
      } catch (e) {
        e2 = e;
      }
      expect(isMmError(e2, code)).toBe(true);
    }
    expect([dev.reports, dev.discardedPages, dev.reportedPages]).toEqual([0, 0, 0]);
  });
});
