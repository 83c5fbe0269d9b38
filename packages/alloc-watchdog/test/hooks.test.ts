import { GFP_ATOMIC, GFP_KERNEL, GFP_NOFS, type Task, type TaskContext } from "@mm/api";
import { describe, expect, it } from "vitest";
import { MemallocTable, memallocHooks } from "../src/index.js";
import { TestScheduler } from "./helpers.js";

function fakeTask(pid: number): Task {
  return { pid, tgid: pid, comm: `t${pid}`, flags: 0, stack: new Uint32Array(0), depth: 0 };
}

describe("memallocHooks: kmallocwd's call sites as AllocHooks", () => {
  it("tracks `current` on slowpathEnter/slowpathExit, ignores non-reclaiming gfp, keeps nesting", () => {
    const sched = new TestScheduler();
    const tasks = [fakeTask(10), fakeTask(11)];
    let cur = tasks[0];
    const ctx: TaskContext = { current: () => cur };
    const table = new MemallocTable();
    const hooks = memallocHooks({ table, tasks: ctx, indexOf: (t) => t.pid - 10, clock: sched });
    sched.runUntil(5e6);
    hooks.slowpathEnter?.(GFP_KERNEL, 1);
    cur = tasks[1];
    hooks.slowpathEnter?.(GFP_ATOMIC, 0); // cannot reclaim: not tracked
    expect([table.inFlight[0], table.inFlight[1]]).toEqual([1, 0]);
    cur = tasks[0];
    sched.runUntil(9e6);
    hooks.slowpathEnter?.(GFP_NOFS, 0); // nested inside the first
    expect([table.inFlight[0], table.startNs[0], table.gfp[0], table.order[0]]).toEqual([2, 5e6, GFP_KERNEL, 1]);
    hooks.slowpathExit?.(GFP_NOFS, 0, 7);
    hooks.slowpathExit?.(GFP_KERNEL, 1, 8);
    cur = tasks[1];
    hooks.slowpathExit?.(GFP_ATOMIC, 0, -1);
    expect([table.inFlight[0], table.inFlight[1]]).toEqual([0, 0]);
    table.checkInvariants();
  });
});
