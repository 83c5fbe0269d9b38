import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createSim, TASK_UNINTERRUPTIBLE, type SimTask } from "@mm/sim";

describe("tasks and shadow stacks under random operations (property, invariants after every step)", () => {
  it("match a simple oracle", () => {
    const op = fc.oneof(
      fc.record({ k: fc.constant("spawn" as const), thread: fc.boolean(), who: fc.nat() }),
      fc.record({ k: fc.constant("exit" as const), who: fc.nat() }),
      fc.record({ k: fc.constant("push" as const), who: fc.nat(), f: fc.integer({ min: 1, max: 5 }) }),
      fc.record({ k: fc.constant("pop" as const), who: fc.nat() }),
      fc.record({ k: fc.constant("trace" as const), who: fc.nat(), n: fc.integer({ min: 0, max: 6 }) }),
      fc.record({ k: fc.constant("switch" as const), who: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 150 }), (ops) => {
        const sim = createSim({ pidMax: 64, stackCapacity: 8 });
        const frames = [1, 2, 3, 4, 5].map((i) => sim.symbols.frame(`f${i}`));
        // oracle: per task index, outermost-first frames
        const model = new Map<number, number[]>([[0, []]]);
        const live = (): SimTask[] => {
          const out: SimTask[] = [];
          sim.tasks.forEach((t) => out.push(t));
          return out;
        };
        for (const o of ops) {
          const ts = live();
          const t = ts[o.who % ts.length];
          const st = model.get(t.index) as number[];
          const before = st.slice();
          try {
            switch (o.k) {
              case "spawn": {
                const nt = sim.spawn({ comm: `t${sim.tasks.count}`, ...(o.thread && t.index !== 0 ? { threadOf: t } : {}) });
                model.set(nt.index, []);
                if (o.thread && t.index !== 0) expect(nt.tgid).toBe(t.tgid);
                break;
              }
              case "exit":
                sim.exit(t);
                model.set(t.index, []);
                break;
              case "push":
                t.push(frames[o.f - 1]);
                st.push(frames[o.f - 1]);
                break;
              case "pop":
                expect(t.pop()).toBe(st.pop());
                break;
              case "trace": {
                const tr = frames.slice(0, o.n); // innermost first
                t.pushTrace(tr);
                for (let i = tr.length - 1; i >= 0; i--) st.push(tr[i]);
                break;
              }
              case "switch":
                sim.setCurrent(t);
                break;
            }
          } catch (e) {
            // only the documented failures, and they leave the stack unchanged
            expect((e as { code?: string }).code).toMatch(/^(BAD_STATE|NOMEM)$/);
            model.set(t.index, before);
            expect(t.depth).toBe(before.length);
          }
          sim.checkInvariants();
          for (const x of live()) {
            const m = model.get(x.index) as number[];
            expect(Array.from(x.stack.subarray(0, x.depth))).toEqual(m.slice().reverse());
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe("task bookkeeping for reports", () => {
  it("counts switches in, records spawn time, keeps a writable state", () => {
    const sim = createSim({ startNs: 1000 });
    sim.advance(500);
    const a = sim.spawn({ comm: "a" });
    const b = sim.spawn({ comm: "b" });
    expect(a.startNs).toBe(1500);
    sim.runAs(a, () => {
      sim.runAs(a, () => undefined); // already current: not a switch
      sim.runAs(b, () => undefined);
    });
    expect(a.switches).toBe(2); // switched in once, back in after b
    expect(b.switches).toBe(1);
    expect(sim.tasks.idle.switches).toBe(1);
    a.state = TASK_UNINTERRUPTIBLE;
    expect(a.state).toBe(2);
  });
});
