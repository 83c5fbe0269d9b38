import { describe, expect, it } from "vitest";
import { StallLedger, summarizeStalls } from "../src/index.js";
import { TestScheduler } from "./helpers.js";

const LOOP = 0;
const STUCK = 2;

function setup() {
  const sched = new TestScheduler();
  const state = [LOOP, LOOP, LOOP, LOOP];
  const ledger = new StallLedger({ scheduler: sched, policies: ["a", "b"], classify: (t) => state[t], pid: (t) => 100 + t, thresholdNs: 10e9 });
  return { sched, state, ledger, a: ledger.observer(0), b: ledger.observer(1) };
}

describe("StallLedger", () => {
  it("records episodes that cross the threshold, with the state at crossing and the first naming per policy", () => {
    const { sched, state, ledger, a, b } = setup();
    ledger.begin(0, 0); // a 30 s stall, stuck at 10 s
    state[0] = STUCK;
    sched.runUntil(1e9);
    ledger.begin(1, sched.now()); // 5 s: too short, but named early by b
    sched.runUntil(4e9);
    b.named(1, sched.now());
    sched.runUntil(6e9);
    ledger.end(1, sched.now());
    sched.runUntil(12e9);
    state[0] = LOOP;
    a.named(0, sched.now()); // named after it unblocked
    b.folded?.(0, 13e9);
    sched.runUntil(15e9);
    b.named(0, sched.now());
    a.named(0, 16e9); // only the first naming counts
    sched.runUntil(30e9);
    ledger.end(0, sched.now());
    ledger.begin(2, sched.now()); // still in flight at the end, crossed
    ledger.begin(3, 35e9); // in flight, not crossed
    sched.runUntil(40e9);
    const recs = ledger.finish();
    expect(recs.map((r) => [r.t, r.pid, r.startNs / 1e9, r.endNs / 1e9, r.stateAtThreshold])).toEqual([
      [0, 100, 0, 30, STUCK],
      [2, 102, 30, NaN, LOOP],
    ]);
    expect(recs[0].firstNamedNs).toEqual([12e9, 15e9]);
    expect(recs[0].firstSeenNs).toEqual([12e9, 13e9]);
    expect(recs[0].namedState).toEqual([LOOP, LOOP]);
    expect(ledger.earlyReports).toEqual([0, 1]);
    const sa = summarizeStalls(recs, 0, 10e9, LOOP);
    expect(sa).toMatchObject({ stalls: 2, stuck: 1, named: 1, namedStuck: 1, namedWhileBlocked: 0, seen: 1, latencyMedianS: 2, latencyMaxS: 2, stuckLatencyMedianS: 2 });
    const sb = summarizeStalls(recs, 1, 10e9, LOOP);
    expect(sb).toMatchObject({ named: 1, seen: 1, latencyMedianS: 5 });
    expect(summarizeStalls([], 0, 10e9, LOOP).latencyMedianS).toBeNaN();
  });

  it("a naming while the task is still stuck counts as 'while blocked'", () => {
    const { sched, state, ledger, a } = setup();
    state[0] = STUCK;
    ledger.begin(0, 0);
    sched.runUntil(11e9);
    a.named(0, sched.now());
    sched.runUntil(20e9);
    ledger.end(0, sched.now());
    expect(summarizeStalls(ledger.finish(), 0, 10e9, LOOP)).toMatchObject({ namedStuck: 1, namedWhileBlocked: 1 });
  });

  it("a crossing due exactly when the books close is counted; a new episode of the same task starts over", () => {
    const { sched, ledger, a } = setup();
    ledger.begin(0, 0);
    sched.runUntil(5e9);
    a.named(0, sched.now());
    ledger.end(0, sched.now());
    ledger.begin(0, sched.now());
    sched.runUntil(15e9);
    const recs = ledger.finish();
    expect(recs.length).toBe(1);
    expect(recs[0].startNs).toBe(5e9);
    expect(recs[0].firstNamedNs[0]).toBeNaN();
    expect(ledger.earlyReports[0]).toBe(1);
  });
});
