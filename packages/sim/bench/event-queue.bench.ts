// Event queue: schedule N events with random delays, then run them all, vs a sorted-array baseline.
import { bench, describe } from "vitest";
import { createEventQueue, createPrng } from "@mm/sim";

const N = 10_000;
const prng = createPrng(1);
const delays = Array.from({ length: N }, () => prng.below(1_000_000));
const noop = (): void => undefined;

/** Baseline: array kept sorted by (time, seq) with binary-search insertion; pop from the front. */
class SortedArrayQueue {
  private t: number[] = [];
  private s: number[] = [];
  private f: ((a: number) => void)[] = [];
  private seq = 0;
  now = 0;
  schedule(delay: number, fn: (a: number) => void): void {
    const at = this.now + delay;
    let lo = 0;
    let hi = this.t.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.t[mid] <= at) lo = mid + 1;
      else hi = mid;
    }
    this.t.splice(lo, 0, at);
    this.s.splice(lo, 0, this.seq++);
    this.f.splice(lo, 0, fn);
  }
  runAll(): void {
    for (let i = 0; i < this.t.length; i++) {
      this.now = this.t[i];
      this.f[i](0);
    }
    this.t.length = 0;
    this.s.length = 0;
    this.f.length = 0;
  }
}

describe(`schedule + run ${N} events (random delays)`, () => {
  bench("EventQueue (binary heap, scheduleCall)", () => {
    const q = createEventQueue();
    for (let i = 0; i < N; i++) q.scheduleCall(delays[i], noop, i);
    q.runAll();
  });
  bench("EventQueue (schedule -> TimerHandle)", () => {
    const q = createEventQueue();
    for (let i = 0; i < N; i++) q.schedule(delays[i], noop);
    q.runAll();
  });
  bench("baseline: sorted array + splice", () => {
    const q = new SortedArrayQueue();
    for (let i = 0; i < N; i++) q.schedule(delays[i], noop);
    q.runAll();
  });
});

describe("steady state: 1000 pending timers, each run re-arms (hold model) x10000", () => {
  const q = createEventQueue();
  let k = 0;
  const rearm = (): void => {
    q.scheduleCall(delays[k++ % N] + 1, rearm, 0);
  };
  for (let i = 0; i < 1000; i++) q.scheduleCall(delays[i] + 1, rearm, 0);
  bench("EventQueue", () => {
    for (let i = 0; i < 10_000; i++) q.runNext();
  });
  // baseline: the same hold model on a sorted array (pop the front with shift)
  const b = { now: 0 };
  let j = 0;
  const bt: number[] = [];
  const bf: (() => void)[] = [];
  const bins = (at: number, fn: () => void): void => {
    let lo = 0;
    let hi = bt.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (bt[mid] <= at) lo = mid + 1;
      else hi = mid;
    }
    bt.splice(lo, 0, at);
    bf.splice(lo, 0, fn);
  };
  const brearm = (): void => bins(b.now + delays[j++ % N] + 1, brearm);
  for (let i = 0; i < 1000; i++) bins(delays[i] + 1, brearm);
  bench("baseline: sorted array (shift + splice)", () => {
    for (let i = 0; i < 10_000; i++) {
      b.now = bt.shift() as number;
      (bf.shift() as () => void)();
    }
  });
});
