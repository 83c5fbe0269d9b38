import { Buffer } from "node:buffer";
import { type Scheduler, type TaskContext } from "@mm/api";
import { describe, expect, it } from "vitest";
import { checkSimInvariants, createSim } from "@mm/sim";

describe("Sim", () => {
  it("implements Scheduler and TaskContext from @mm/api", () => {
    const sim = createSim({ seed: 1 });
    const s: Scheduler = sim;
    const c: TaskContext = sim;
    const seen: number[] = [];
    s.schedule(5, () => seen.push(c.current().pid));
    sim.runAll();
    expect(seen).toEqual([0]);
    expect(s.now()).toBe(5);
  });

  it("withFrames resolves names, pushes innermost-first and pops after", () => {
    const sim = createSim();
    const t = sim.spawn({ comm: "memhog" });
    const captured = sim.runAs(t, () =>
      sim.withFrames(t, ["get_page_from_freelist+0x41c/0xf00", "__alloc_pages+0x1d7/0x330", "vma_alloc_folio"], () => {
        const cur = sim.current();
        return sim.symbols.symbolizeAll(cur.stack, cur.depth);
      }),
    );
    expect(captured[0]).toBe("get_page_from_freelist+0x41c/0xf00");
    expect(captured[1]).toBe("__alloc_pages+0x1d7/0x330");
    expect(captured[2]).toMatch(/^vma_alloc_folio\+0x[0-9a-f]+\/0x[0-9a-f]+$/);
    expect(t.depth).toBe(0);
    checkSimInvariants(sim);
  });

  it("same seed, same run: byte-identical trace", () => {
    const run = (seed: number): string => {
      const sim = createSim({ seed });
      const prng = sim.prng.fork("test");
      const out: string[] = [];
      const tasks = [sim.spawn({ comm: "a" }), sim.spawn({ comm: "b", kthread: true })];
      for (let i = 0; i < 200; i++) {
        const t = prng.pick(tasks);
        sim.schedule(prng.int(0, 1000), () =>
          sim.runAs(t, () => out.push(`${sim.now()} ${sim.current().comm} ${prng.nextU32()}`)),
        );
      }
      sim.runAll();
      sim.checkInvariants();
      return out.join("\n");
    };
    expect(Buffer.from(run(9)).equals(Buffer.from(run(9)))).toBe(true);
    expect(run(9)).not.toBe(run(10));
  });

  it("the invariant checker catches an unknown frame on a live stack", () => {
    const sim = createSim();
    const t = sim.spawn({ comm: "a" });
    t.push(sim.symbols.frame("f"));
    sim.checkInvariants();
    t.push(12345);
    expect(() => sim.checkInvariants()).toThrow(expect.objectContaining({ code: "INVARIANT" }));
  });

  it("options: start time, idle comm, pid_max", () => {
    const sim = createSim({ startNs: 507734792, idleComm: "swapper", pidMax: 100, stackCapacity: 8 });
    expect(sim.now()).toBe(507734792);
    expect(sim.current().comm).toBe("swapper");
    expect(sim.tasks.pidMax).toBe(100);
    expect(sim.spawn({ comm: "x" }).capacity).toBe(8);
  });
});
