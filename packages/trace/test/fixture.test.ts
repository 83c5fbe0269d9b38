import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseBuddyinfo } from "@mm/buddy";
import { EV_ALLOC, EV_FREE, readTrace, replayTrace, systemRamRanges } from "@mm/trace";

const dir = new URL("../../../fixtures/trace-6.1-qemu/", import.meta.url).pathname;
const trace = `${dir}trace.txt.br`;
const ranges = () => systemRamRanges(readFileSync(`${dir}start-iomem`, "utf8"));

describe("the QEMU capture of Debian's 6.1 kernel (fixtures/trace-6.1-qemu)", () => {
  it("parses every event: entries = events + their stack entries, none lost", async () => {
    let stacks = 0;
    let events = 0;
    const stats = await readTrace(trace, (e) => {
      events++;
      if (e.stack.length > 0) stacks++;
    });
    expect(stats.lostEvents).toBe(0);
    expect(stats.lostMarkers).toBe(0);
    expect(stats.otherLines).toBe(0);
    expect(stats.otherEvents).toBe(0);
    expect(stats.unknownGfpNames).toBe(0);
    expect(stats.entriesWritten).toBe(stats.entriesInBuffer);
    // Every event was recorded with the stacktrace option: one stack entry each.
    expect(stacks).toBe(events);
    expect(events + stacks).toBe(stats.entriesInBuffer);
  });

  it("replays end to end with the machine's invariants held, deterministically", async () => {
    const cfg = { ranges: ranges(), checkEvery: 256, samples: 20 } as const;
    const a = await replayTrace(trace, cfg);
    expect(a.counters.events).toBe(a.scan.events);
    expect(a.counters.allocs).toBe(a.trace.events[EV_ALLOC]);
    expect(a.counters.unplaceable).toBe(0);
    // Frees are either applied or counted as unmatched, never lost.
    expect(a.counters.frees + a.counters.unmatchedFrees).toBe(a.trace.events[EV_FREE]);
    // The machine has the capture's memory map: managed pages of its zones.
    expect(a.machine.zones.map((z) => z.name)).toEqual(["DMA", "DMA32"]);
    // Per-stack attribution accounts for every allocation.
    expect(a.stacks.byPeakLive.length).toBeGreaterThan(0);
    const top = a.stacks.byPeakLive[0];
    expect(top.allocSeries.at(-1)).toBe(top.allocs);
    expect(top.liveSeries).toHaveLength(a.series.real.length);
    expect(Math.max(...top.liveSeries)).toBeLessThanOrEqual(top.peakLivePages);
    expect(a.series.real).toHaveLength(21);
    expect(a.series.model).toHaveLength(21);
    const b = await replayTrace(trace, cfg);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });

  it("holds the machine's invariants after every one of the first 3,000 events", async () => {
    const r = await replayTrace(trace, { ranges: ranges(), checkEvery: 1, maxEvents: 3000, whatIf: false, samples: 2 });
    expect(r.counters.events).toBe(3000);
    expect(r.scan.events).toBe(3000);
  });

  it("has at least the free memory the capture's /proc/buddyinfo shows at the end", async () => {
    const r = await replayTrace(trace, { ranges: ranges(), samples: 4 });
    const realEnd = parseBuddyinfo(readFileSync(`${dir}end-buddyinfo`, "utf8"));
    const realFree = realEnd.reduce((s, row) => s + row.counts.reduce((t, n, o) => t + n * 2 ** o, 0), 0);
    const replayFree = r.series.real.at(-1)!.freePages;
    // Pages the trace never touched (kernel image, memmap, early allocations) are free in the
    // replay, so it can only show more free memory than the real machine had.
    expect(replayFree).toBeGreaterThanOrEqual(realFree);
  });
});
