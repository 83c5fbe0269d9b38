// Bad input raises MmError and leaves state identical: checked by running the damaged instance and
// an untouched twin to completion and comparing everything they produce, byte for byte.
import { describe, expect, it } from "vitest";
import { createEventQueue, createPrng, createSim, createWorkload, type EventQueue } from "@mm/sim";

function seeded(q: EventQueue, log: string[]): void {
  for (let i = 0; i < 50; i++) q.scheduleCall((i * 37) % 101, (x) => void log.push(`${q.now()}:${x}`), i);
}

describe("bad input leaves state identical", () => {
  it("event queue", () => {
    const logA: string[] = [];
    const logB: string[] = [];
    const a = createEventQueue(7);
    const b = createEventQueue(7);
    seeded(a, logA);
    seeded(b, logB);
    a.runUntil(30);
    b.runUntil(30);
    const bad: (() => unknown)[] = [
      () => a.schedule(-1, () => undefined),
      () => a.scheduleAt(29, () => undefined),
      () => a.scheduleCall(0.5, () => undefined, 0),
      () => a.scheduleCall(1, null as unknown as () => void, 0),
      () => a.advance(-5),
      () => a.runUntil(NaN),
    ];
    for (const f of bad) expect(f).toThrow(expect.objectContaining({ name: "MmError" }));
    expect(a.cancel(123456789)).toBe(false);
    a.checkInvariants();
    expect([a.now(), a.pending, a.nextTime(), a.executed]).toEqual([b.now(), b.pending, b.nextTime(), b.executed]);
    a.runAll();
    b.runAll();
    expect(logA.join("\n")).toBe(logB.join("\n"));
  });

  it("tasks, stacks, symbols", () => {
    const run = (damage: boolean): string => {
      const sim = createSim({ seed: 3, pidMax: 50, stackCapacity: 4 });
      const a = sim.spawn({ comm: "a" });
      a.pushTrace(sim.symbols.trace(["x", "y"]));
      if (damage) {
        const tries: (() => unknown)[] = [
          () => sim.spawn({ comm: "b", pid: 1 }),
          () => sim.spawn({ comm: "b", flags: 1.5 }),
          () => sim.spawn({ comm: "b", stackCapacity: -1 }),
          () => a.pushTrace([1, 2, 1]),
          () => a.push(0),
          () => sim.exit(sim.tasks.idle),
          () => sim.symbols.intern(""),
          () => sim.symbols.frame("f", 9, 3),
          () => sim.symbols.symbolize(99),
          () => sim.withFrames(a, ["p", "q", "r"], () => 0),
          () => sim.symbols.trace(["fresh", ""]),
          () => sim.symbols.trace(["fresh2", "bad name"]),
          () => sim.symbols.trace(["fresh3", 77]),
        ];
        for (const f of tries) expect(f).toThrow(expect.objectContaining({ name: "MmError" }));
      }
      const b = sim.spawn({ comm: "b" });
      const out = [b.pid, b.index, a.depth, sim.symbols.size, ...Array.from(a.stack.subarray(0, a.depth))];
      sim.checkInvariants();
      return out.join(",");
    };
    expect(run(true)).toBe(run(false));
  });

  it("prng and workload configuration", () => {
    const a = createPrng(9);
    const b = createPrng(9);
    a.nextU32();
    b.nextU32();
    expect(() => a.setState([0, 0, 0, 0])).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => a.below(0)).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => a.exponential(-1)).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => createWorkload({ prng: a, ratePerSec: -1, orderWeights: [1], gfp: 0, lifetimeNs: { kind: "forever" } })).toThrow(
      expect.objectContaining({ code: "BAD_CONFIG" }),
    );
    expect(Array.from({ length: 10 }, () => a.nextU32())).toEqual(Array.from({ length: 10 }, () => b.nextU32()));
  });
});
