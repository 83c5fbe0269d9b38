import { describe, expect, it } from "vitest";
import { createDelayedWork, createEventQueue, createSim } from "@mm/sim";

describe("DelayedWork (kernel workqueue semantics)", () => {
  it("transition table: schedule / mod / cancel / fire", () => {
    const q = createEventQueue();
    const runs: number[] = [];
    const w = createDelayedWork(q, () => runs.push(q.now()));
    // [action, expected return, pending after]
    expect([w.schedule(100), w.pending]).toEqual([true, true]); // idle -> pending
    expect([w.schedule(10), w.pending]).toEqual([false, true]); // already pending: no change
    q.runUntil(99);
    expect(runs).toEqual([]);
    q.runUntil(100);
    expect(runs).toEqual([100]); // the first expiry stands (schedule did not re-arm)
    expect(w.pending).toBe(false);
    expect([w.mod(50), w.pending]).toEqual([false, true]); // idle -> queued: returns false
    expect([w.mod(20), w.pending]).toEqual([true, true]); // pending -> re-armed: returns true
    q.runAll();
    expect(runs).toEqual([100, 120]);
    expect(q.pending).toBe(0);
    expect(w.cancel()).toBe(false); // nothing pending
    w.schedule(5);
    expect(w.cancel()).toBe(true);
    expect(w.pending).toBe(false);
    q.runAll();
    expect(runs).toEqual([100, 120]);
    expect(w.executed).toBe(2);
  });

  it("the work function may requeue itself (PENDING is cleared before it runs)", () => {
    const q = createEventQueue();
    let n = 0;
    const w = createDelayedWork(q, () => {
      n++;
      if (n < 5) expect(w.schedule(10)).toBe(true);
    });
    w.schedule(10);
    q.runAll();
    expect(n).toBe(5);
    expect(q.now()).toBe(50);
  });

  it("flush runs a pending item now and cancels its timer", () => {
    const q = createEventQueue();
    const runs: number[] = [];
    const w = createDelayedWork(q, () => runs.push(q.now()));
    expect(w.flush()).toBe(false);
    w.schedule(1000);
    q.advance(3);
    expect(w.flush()).toBe(true);
    expect(runs).toEqual([3]);
    q.runAll();
    expect(runs).toEqual([3]);
  });

  it("runs as the given kworker and restores current", () => {
    const sim = createSim();
    const kw = sim.spawn({ comm: "kworker/0:1", kthread: true });
    const who: string[] = [];
    const w = sim.delayedWork(() => who.push(sim.current().comm), kw);
    w.schedule(1);
    sim.runAll();
    expect(who).toEqual(["kworker/0:1"]);
    expect(sim.current()).toBe(sim.tasks.idle);
    expect(() => createDelayedWork(sim.queue, () => 0, { task: kw })).toThrow(expect.objectContaining({ code: "EINVAL" }));
  });

  it("a bad delay leaves the item unchanged", () => {
    const q = createEventQueue();
    const w = createDelayedWork(q, () => undefined);
    w.schedule(10);
    expect(() => w.mod(-1)).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(w.pending).toBe(true);
    q.runAll();
    expect(w.executed).toBe(1);
  });
});
