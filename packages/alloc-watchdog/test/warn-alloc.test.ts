import { GFP_KERNEL, __GFP_NOWARN } from "@mm/api";
import { describe, expect, it } from "vitest";
import { Ratelimit, WarnAllocStall } from "../src/index.js";
import { capture, FakeTasks, task, TestScheduler } from "./helpers.js";

const HZ = 250;
const J = 1e9 / HZ; // ns per jiffy

function setup(n: number, over: Partial<ConstructorParameters<typeof WarnAllocStall>[0]> = {}) {
  const sched = new TestScheduler();
  const out = capture();
  const named: [number, number][] = [];
  const tasks = new FakeTasks(Array.from({ length: n }, (_, i) => task(`t${i}`, 100 + i)));
  const w = new WarnAllocStall({ tasks, clock: sched, log: out.log, hz: HZ, observer: { named: (t, ns) => void named.push([t, ns]) }, ...over });
  return { sched, out, named, w };
}

describe("warn_alloc stall line (4.9–4.14)", () => {
  it("fires strictly after 10 s of looping, then every further 10 s, and restarts per allocation", () => {
    const { sched, out, named, w } = setup(1);
    const start = 0;
    const checkAt = (j: number) => {
      sched.runUntil(j * J);
      w.stallCheck(0, GFP_KERNEL, 0, start);
    };
    checkAt(10 * HZ); // time_after(jiffies, start + 10*HZ) is false at equality
    expect(out.lines).toEqual([]);
    checkAt(10 * HZ + 1);
    expect(out.lines).toEqual(["t0: page allocation stalls for 10004ms, order:0, mode:0x24000c0(GFP_KERNEL)"]);
    checkAt(15 * HZ);
    expect(out.lines.length).toBe(1);
    checkAt(20 * HZ + 7);
    expect(out.lines[1]).toBe("t0: page allocation stalls for 20028ms, order:0, mode:0x24000c0(GFP_KERNEL)");
    expect(named.map(([t]) => t)).toEqual([0, 0]);
    // a new allocation: its own alloc_start and stall_timeout
    const s2 = sched.now();
    sched.runUntil(s2 + 10 * HZ * J + J);
    w.stallCheck(0, GFP_KERNEL, 0, s2);
    expect(out.lines[2]).toBe("t0: page allocation stalls for 10004ms, order:0, mode:0x24000c0(GFP_KERNEL)");
    expect(w.stats).toMatchObject({ stallLines: 3, stackDumps: 3, showMems: 3, suppressed: 0 });
  });

  it("honours __GFP_NOWARN (no line, no rate-limit slot)", () => {
    const { sched, out, w } = setup(1);
    sched.runUntil(11e9);
    w.stallCheck(0, GFP_KERNEL | __GFP_NOWARN, 0, 0);
    expect(out.lines).toEqual([]);
    const forced = setup(1, { honorNowarn: false });
    forced.sched.runUntil(11e9);
    forced.w.stallCheck(0, GFP_KERNEL | __GFP_NOWARN, 0, 0);
    expect(forced.out.lines.length).toBe(1);
  });

  it("the 4.14 layout adds nodemask=(null) and the cpuset line", () => {
    const { sched, out, w } = setup(1, { layout: "4.14", cpuset: true });
    sched.runUntil(10 * 1e9 + J);
    w.stallCheck(0, GFP_KERNEL, 2, 0);
    expect(out.lines).toEqual(["t0: page allocation stalls for 10004ms, order:2, mode:0x14000c0(GFP_KERNEL), nodemask=(null)", "t0 cpuset=/ mems_allowed=0"]);
  });

  it("is rate limited to 10 per 5 s, shared by all tasks, and says how many it suppressed", () => {
    const { sched, out, named, w } = setup(12);
    sched.runUntil(10 * 1e9 + J);
    for (let t = 0; t < 12; t++) w.stallCheck(t, GFP_KERNEL, 0, 0);
    expect(out.lines.length).toBe(10);
    expect(named.length).toBe(10);
    expect(w.stats.suppressed).toBe(2);
    sched.runUntil(sched.now() + 5 * 1e9 + J);
    w.allocFailure(0, GFP_KERNEL, 0);
    expect(out.lines.slice(10)).toEqual(["warn_alloc: 2 callbacks suppressed", "t0: page allocation failure: order:0, mode:0x24000c0(GFP_KERNEL)"]);
  });

  it("Ratelimit follows ___ratelimit: interval boundary is strict", () => {
    const out = capture();
    const rl = new Ratelimit(10, 2, "f");
    expect([rl.allow(0, out.log), rl.allow(5, out.log), rl.allow(10, out.log)]).toEqual([true, true, false]);
    expect(rl.allow(11, out.log)).toBe(true);
    expect(out.lines).toEqual(["f: 1 callbacks suppressed"]);
  });
});
