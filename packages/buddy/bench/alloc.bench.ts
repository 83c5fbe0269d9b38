/**
 * Allocation throughput of the model against a textbook baseline (NaiveBuddy: a Set of free
 * blocks per order), and the cost of one registered no-op hook. Each bench leaves its allocator
 * as it found it.
 */
import { bench, describe } from "vitest";
import { GFP_HIGHUSER_MOVABLE, GFP_KERNEL } from "@mm/api";
import { createMachine } from "@mm/buddy";
import { NaiveBuddy } from "./naive.js";
import { mixedStream, replay } from "./stream.js";

const PAGES = (1 << 30) / 4096; // a 1 GiB machine: DMA + DMA32
const N = 4096;
const pfns = new Int32Array(N);

const STREAM = mixedStream(20_000, 0x5eed, PAGES / 4);
const live = new Int32Array(STREAM.ops.length);
const liveOrd = new Int32Array(STREAM.ops.length);

describe("order-0 alloc+free x4096", () => {
  const m = createMachine({ memoryBytes: PAGES * 4096 });
  const naive = new NaiveBuddy(PAGES);
  bench("buddy model (GFP_KERNEL)", () => {
    for (let i = 0; i < N; i++) pfns[i] = m.allocPages(0, GFP_KERNEL);
    for (let i = 0; i < N; i++) m.freePages(pfns[i], 0);
  });
  bench("baseline: naive Set-per-order buddy", () => {
    for (let i = 0; i < N; i++) pfns[i] = naive.alloc(0);
    for (let i = 0; i < N; i++) naive.freePages(pfns[i]);
  });
});

describe("mixed order 0..10 stream x20000 ops", () => {
  const m = createMachine({ memoryBytes: PAGES * 4096 });
  const naive = new NaiveBuddy(PAGES);
  let k = 0;
  bench("buddy model (GFP_KERNEL / movable mix)", () => {
    replay(
      STREAM,
      live,
      liveOrd,
      (o) => m.allocPages(o, (k++ & 1) === 0 ? GFP_KERNEL : GFP_HIGHUSER_MOVABLE),
      (p, o) => m.freePages(p, o),
    );
  });
  bench("baseline: naive Set-per-order buddy", () => {
    replay(STREAM, live, liveOrd, (o) => naive.alloc(o), (p) => naive.freePages(p));
  });
});

describe("hooks: mixed stream with and without one no-op subscriber", () => {
  const plain = createMachine({ memoryBytes: PAGES * 4096 });
  const hooked = createMachine({ memoryBytes: PAGES * 4096 });
  hooked.addHooks({
    postAlloc: () => {},
    freePrepare: () => {},
  });
  bench("baseline: no hooks registered", () => {
    replay(STREAM, live, liveOrd, (o) => plain.allocPages(o, GFP_KERNEL), (p, o) => plain.freePages(p, o));
  });
  bench("one no-op hook (postAlloc + freePrepare)", () => {
    replay(STREAM, live, liveOrd, (o) => hooked.allocPages(o, GFP_KERNEL), (p, o) => hooked.freePages(p, o));
  });
});
