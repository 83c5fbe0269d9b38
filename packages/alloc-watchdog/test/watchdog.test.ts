import { GFP_HIGHUSER_MOVABLE, GFP_KERNEL, GFP_NOFS, GFP_NOIO, isMmError } from "@mm/api";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_REPORT_BOUND,
  KSWAPD_FLAGS,
  MemallocTable,
  MemallocWatchdog,
  type ReportBound,
  TASK_INTERRUPTIBLE,
  TASK_UNINTERRUPTIBLE,
  type WatchdogOptions,
} from "../src/index.js";
import { capture, type FakeTask, FakeTasks, task, TestScheduler } from "./helpers.js";

const HZ = 250;
const J = 1e9 / HZ;

function setup(list: FakeTask[], over: Partial<WatchdogOptions> = {}) {
  const sched = new TestScheduler();
  const table = new MemallocTable({ capacity: list.length });
  const tasks = new FakeTasks(list);
  const out = capture();
  const named: number[] = [];
  const wd = new MemallocWatchdog({ scheduler: sched, tasks, table, log: out.log, hz: HZ, observer: { named: (t) => void named.push(t) }, ...over });
  return { sched, table, tasks, out, wd, named };
}

const kswapd = (): FakeTask => task("kswapd0", 45, { flags: KSWAPD_FLAGS, switches: 12, state: TASK_INTERRUPTIBLE });

describe("kmallocwd detection", () => {
  it("reports tasks stalled for at least timeout/2 (jiffies), lists kswapd, prints the summary twice", () => {
    const { sched, table, out, wd, named } = setup([kswapd(), task("a.out", 101), task("b", 102), task("kworker/1:2", 103, { state: TASK_UNINTERRUPTIBLE, switches: 9 }), task("idle", 104)]);
    sched.runUntil(100e9);
    table.enter(1, GFP_HIGHUSER_MOVABLE, 0, 70e9); // exactly 30 s = 7500 jiffies: reported
    table.enter(2, GFP_KERNEL, 0, 70e9 + J); // 7499 jiffies: not yet
    table.enter(3, GFP_NOIO, 1, 40e9); // 60 s
    const r = wd.checkStallingTasks();
    expect(r.stalling).toBe(2);
    expect(out.lines).toEqual([
      "MemAlloc-Info: stalling=2 dying=0 exiting=0 victim=0 oom_count=0",
      "MemAlloc: kswapd0(45) flags=0xa40840 switches=12",
      "MemAlloc: a.out(101) flags=0x400000 switches=0 seq=1 gfp=0x24200ca(GFP_HIGHUSER_MOVABLE) order=0 delay=7500",
      "MemAlloc: kworker/1:2(103) flags=0x400000 switches=9 seq=1 gfp=0x2400000(GFP_NOIO) order=1 delay=15000 uninterruptible",
      "MemAlloc-Info: stalling=2 dying=0 exiting=0 victim=0 oom_count=0",
    ]);
    expect(named).toEqual([1, 3]);
    expect(wd.stats).toMatchObject({ reports: 1, taskLines: 3, stackDumps: 3, showMems: 1 });
  });

  it("timeout/2 correlation holds for any timeout and start time", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.array(fc.integer({ min: 0, max: 400 * HZ }), { minLength: 1, maxLength: 20 }), (timeout, startsJ) => {
        const list = startsJ.map((_, i) => task(`t${i}`, 200 + i));
        const { sched, table, wd } = setup(list, { timeoutSecs: timeout });
        const nowJ = 400 * HZ;
        sched.runUntil(nowJ * J);
        startsJ.forEach((s, i) => table.enter(i, GFP_KERNEL, 0, s * J));
        const r = wd.checkStallingTasks();
        const expected = startsJ.map((s, i) => (nowJ - s >= timeout * (HZ / 2) ? i : -1)).filter((i) => i >= 0);
        expect(r.stalling).toBe(expected.length);
        if (expected.length > 0) expect(r.listed).toEqual(expected);
      }),
      { numRuns: 100 },
    );
  });

  it("prints nothing when nothing stalls, even with kswapd, victims and dying tasks around", () => {
    const { sched, table, out, wd } = setup([kswapd(), task("v", 101, { victim: true, dying: true }), task("x", 102)]);
    sched.runUntil(100e9);
    table.enter(2, GFP_KERNEL, 0, 99e9);
    expect(wd.checkStallingTasks().stalling).toBe(0);
    expect(out.lines).toEqual([]);
  });

  it("lists kswapd, victims and dying tasks whenever something stalls", () => {
    const { sched, table, out, wd } = setup([task("v", 101, { victim: true, dying: true, flags: 0x400044 }), kswapd(), task("x", 102)]);
    sched.runUntil(100e9);
    table.enter(2, GFP_KERNEL, 0, 0);
    wd.checkStallingTasks();
    expect(out.lines).toEqual([
      "MemAlloc-Info: stalling=1 dying=1 exiting=1 victim=1 oom_count=0",
      "MemAlloc: v(101) flags=0x400044 switches=0 exiting dying victim",
      "MemAlloc: kswapd0(45) flags=0xa40840 switches=12",
      "MemAlloc: x(102) flags=0x400000 switches=0 seq=1 gfp=0x24000c0(GFP_KERNEL) order=0 delay=25000",
      "MemAlloc-Info: stalling=1 dying=1 exiting=1 victim=1 oom_count=0",
    ]);
  });

  it("skips the task walk until an allocation from before the last flip is still in flight", () => {
    const { sched, table, out, wd } = setup([task("a", 101)]);
    wd.start();
    table.enter(0, GFP_KERNEL, 0, sched.now());
    sched.runUntil(60e9); // scan 1: counters of the other index are empty: flip, no walk
    expect(wd.stats).toMatchObject({ scans: 1, walks: 0 });
    sched.runUntil(120e9); // scan 2: walk, the task is 120 s old
    expect(wd.stats).toMatchObject({ scans: 2, walks: 1, reports: 1 });
    expect(out.lines[1]).toBe("MemAlloc: a(101) flags=0x400000 switches=0 seq=1 gfp=0x24000c0(GFP_KERNEL) order=0 delay=30000");
  });
});

describe("kmallocwd as a hook", () => {
  it("fires stallStart once when a stall is first found and stallStop once when it is gone, per episode", () => {
    const { sched, table, wd } = setup([kswapd(), task("a", 101), task("b", 102)]);
    const ev: string[] = [];
    const scans: number[] = [];
    wd.addListener({
      stallStart: (n, ns) => void ev.push(`start ${n} @${ns / 1e9}`),
      stallStop: (ns) => void ev.push(`stop @${ns / 1e9}`),
      scanned: (n) => void scans.push(n),
    });
    wd.start();
    sched.runUntil(1e9);
    table.enter(1, GFP_KERNEL, 0, sched.now());
    sched.runUntil(100e9);
    table.enter(2, GFP_KERNEL, 0, sched.now()); // joins the running episode
    sched.runUntil(200e9);
    table.exit(1, GFP_KERNEL);
    table.exit(2, GFP_KERNEL);
    sched.runUntil(400e9);
    expect(ev).toEqual(["start 1 @120", "stop @240"]);
    expect(scans).toEqual([0, 1, 2, 0, 0, 0]);
    // a second episode gets its own start and stop; stop() ends it once
    table.enter(1, GFP_KERNEL, 0, sched.now());
    sched.runUntil(600e9);
    wd.stop();
    wd.stop();
    expect(ev).toEqual(["start 1 @120", "stop @240", "start 1 @480", "stop @600"]);
    expect(wd.running).toBe(false);
  });

  it("timeout 0 stops scanning but keeps the records", () => {
    const { sched, table, wd } = setup([task("a", 101)]);
    wd.start();
    table.enter(0, GFP_KERNEL, 0, 0);
    wd.setTimeoutSecs(0);
    sched.runUntil(1000e9);
    expect(wd.stats.scans).toBe(0);
    expect(table.inFlight[0]).toBe(1);
    wd.setTimeoutSecs(10);
    sched.runUntil(1020e9);
    expect(wd.stats.scans).toBe(2);
  });

  it("rejects bad settings with MmError", () => {
    const sched = new TestScheduler();
    const base = { scheduler: sched, tasks: new FakeTasks([]), table: new MemallocTable(), log: () => {} };
    for (const o of [{ timeoutSecs: -1 }, { timeoutSecs: 1.5 }, { hz: 0 }, { bound: { maxTasks: 4, maxGroups: 0 } }])
      expect(() => new MemallocWatchdog({ ...base, ...o })).toThrow(expect.objectContaining({ code: "BAD_CONFIG" }) as Error);
    const wd = new MemallocWatchdog(base);
    let err: unknown;
    try {
      wd.setTimeoutSecs(-5);
    } catch (e) {
      err = e;
    }
    expect(isMmError(err, "EINVAL")).toBe(true);
    expect(wd.timeoutSecs).toBe(60);
  });
});

describe("bounded report", () => {
  /** kswapd + n stalling tasks over three gfp/order/state combinations, plus victims. */
  function crowd(n: number, bound: ReportBound | null) {
    const list = [kswapd()];
    for (let i = 0; i < n; i++) list.push(task(`worker${i}`, 1000 + i, { state: i % 3 === 0 ? TASK_UNINTERRUPTIBLE : 0 }));
    list.push(task("victim", 99, { victim: true, dying: true }));
    const env = setup(list, { bound });
    env.sched.runUntil(1000e9);
    for (let i = 0; i < n; i++) env.table.enter(1 + i, i % 2 === 0 ? GFP_KERNEL : GFP_NOFS, i % 5 === 0 ? 1 : 0, (100 + (i % 700)) * 1e9);
    return env;
  }

  it("4000 stalling tasks: a fixed number of lines, the longest stalls named, the rest folded and counted", () => {
    const { out, wd, named } = crowd(4000, DEFAULT_REPORT_BOUND);
    const r = wd.checkStallingTasks();
    expect(r.stalling).toBe(4000);
    const { maxTasks, maxGroups } = DEFAULT_REPORT_BOUND;
    // 2 summaries + kswapd + maxTasks + folded line + at most maxGroups group lines
    expect(out.lines.length).toBeLessThanOrEqual(2 + 1 + maxTasks + 1 + maxGroups);
    expect(out.lines[1]).toMatch(/^MemAlloc: kswapd0\(45\)/);
    expect(out.lines[2]).toMatch(/^MemAlloc: victim\(99\) .* dying victim$/); // victims first
    expect(r.listed.length).toBe(1 + maxTasks);
    // the named stalls are the longest ones
    expect(named.length).toBe(maxTasks - 1);
    const all = Array.from({ length: 4000 }, (_, i) => (1000 - (100 + (i % 700))) * HZ).sort((a, b) => b - a);
    const shown = out.lines.filter((l) => l.startsWith("MemAlloc: ")).map((l) => / delay=(\d+)/.exec(l)?.[1]).filter((d) => d !== undefined).map(Number);
    expect(shown).toEqual(all.slice(0, maxTasks - 1));
    const folded = out.lines.find((l) => l.startsWith("MemAlloc-Folded:"));
    expect(folded).toBe(`MemAlloc-Folded: stalling=${4000 - (maxTasks - 1)} other=0`);
    const groups = out.lines.filter((l) => l.startsWith("MemAlloc-Group:"));
    const sum = groups.reduce((s, l) => s + Number(/tasks=(\d+)/.exec(l)?.[1]), 0);
    expect(sum).toBe(4000 - (maxTasks - 1));
    expect(out.lines.at(-1)).toBe(out.lines[0]);
    const bytes = out.lines.reduce((s, l) => s + l.length + 1, 0);
    expect(bytes).toBeLessThan(4096);
    // kmallocwd as posted: one line per task
    const raw = crowd(4000, null);
    raw.wd.checkStallingTasks();
    expect(raw.out.lines.length).toBe(2 + 1 + 4000 + 1);
    expect(raw.out.lines.reduce((s, l) => s + l.length + 1, 0)).toBeGreaterThan(100 * bytes);
  });

  it("the bound does not grow with the number of stalling tasks", () => {
    const small = crowd(400, DEFAULT_REPORT_BOUND);
    small.wd.checkStallingTasks();
    const big = crowd(8000, DEFAULT_REPORT_BOUND);
    big.wd.checkStallingTasks();
    expect(big.out.lines.length).toBe(small.out.lines.length);
  });

  it("exact lines of a small bounded report, with groups beyond maxGroups folded once more", () => {
    const list = [kswapd(), task("a", 1), task("b", 2), task("c", 3, { state: TASK_UNINTERRUPTIBLE }), task("d", 4), task("e", 5)];
    const { sched, table, out, wd } = setup(list, { bound: { maxTasks: 1, maxGroups: 2 } });
    sched.runUntil(100e9);
    table.enter(1, GFP_KERNEL, 0, 10e9); // longest: listed
    table.enter(2, GFP_KERNEL, 0, 20e9);
    table.enter(3, GFP_KERNEL, 0, 30e9);
    table.enter(4, GFP_KERNEL, 0, 40e9);
    table.enter(5, GFP_NOFS, 2, 50e9);
    wd.checkStallingTasks();
    expect(out.lines).toEqual([
      "MemAlloc-Info: stalling=5 dying=0 exiting=0 victim=0 oom_count=0",
      "MemAlloc: kswapd0(45) flags=0xa40840 switches=12",
      "MemAlloc: a(1) flags=0x400000 switches=0 seq=1 gfp=0x24000c0(GFP_KERNEL) order=0 delay=22500",
      "MemAlloc-Folded: stalling=4 other=0",
      "MemAlloc-Group: tasks=2 gfp=0x24000c0(GFP_KERNEL) order=0 state=running delay=15000..20000",
      "MemAlloc-Group: tasks=2 other_groups=2",
      "MemAlloc-Info: stalling=5 dying=0 exiting=0 victim=0 oom_count=0",
    ]);
    expect(wd.stats.folded).toBe(4);
  });
});

describe("era of the task flags", () => {
  it("finds kswapd by the PF_KSWAPD bit of the era the flags come from", () => {
    // 4.12+ moved PF_KSWAPD to 0x20000 (PF_FSTRANS gone): kswapd0 prints flags=0xa20840 there
    const { sched, table, out, wd } = setup([task("kswapd0", 45, { flags: 0xa20840 }), task("x", 101)], { kswapdFlag: 0x20000, era: "4.14" });
    sched.runUntil(100e9);
    table.enter(1, GFP_KERNEL, 0, 0);
    wd.checkStallingTasks();
    expect(out.lines.slice(1, 3)).toEqual([
      "MemAlloc: kswapd0(45) flags=0xa20840 switches=0",
      "MemAlloc: x(101) flags=0x400000 switches=0 seq=1 gfp=0x14000c0(GFP_KERNEL) order=0 delay=25000",
    ]);
  });
});
