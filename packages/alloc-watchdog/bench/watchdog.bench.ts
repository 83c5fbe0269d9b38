// Costs of the two reporting policies at 4000 tasks, each against a plain loop over the same data.
import { GFP_KERNEL, GFP_NOFS } from "@mm/api";
import { bench, describe } from "vitest";
import { DEFAULT_REPORT_BOUND, KSWAPD_FLAGS, MemallocTable, MemallocWatchdog, TASK_UNINTERRUPTIBLE, WarnAllocStall } from "../src/index.js";
import { FakeTasks, task, TestScheduler } from "../test/helpers.js";

const N = 4000;
const list = [task("kswapd0", 45, { flags: KSWAPD_FLAGS })];
for (let i = 0; i < N; i++) list.push(task(`worker${i % 100}`, 1000 + i, { state: i % 3 === 0 ? TASK_UNINTERRUPTIBLE : 0 }));
const tasks = new FakeTasks(list);
const sched = new TestScheduler();
sched.runUntil(1000e9);
const noop = (): void => undefined;

describe("start/stop_memalloc_timer for 4000 tasks", () => {
  const counters = new Uint8Array(N + 1);
  const table = new MemallocTable({ capacity: N + 1 });
  bench("baseline: Uint8Array inc/dec per task", () => {
    for (let t = 1; t <= N; t++) counters[t]++;
    for (let t = 1; t <= N; t++) counters[t]--;
  });
  bench("MemallocTable enter/exit", () => {
    for (let t = 1; t <= N; t++) table.enter(t, GFP_KERNEL, 0, 1e9);
    for (let t = 1; t <= N; t++) table.exit(t, GFP_KERNEL);
  });
  bench("MemallocTable enter/exit with a nested allocation", () => {
    for (let t = 1; t <= N; t++) {
      table.enter(t, GFP_KERNEL, 0, 1e9);
      table.enter(t, GFP_NOFS, 0, 2e9);
    }
    for (let t = 1; t <= N; t++) {
      table.exit(t, GFP_NOFS);
      table.exit(t, GFP_KERNEL);
    }
  });
});

describe("kmallocwd scan with 4000 stalling tasks", () => {
  const table = new MemallocTable({ capacity: N + 1 });
  for (let t = 1; t <= N; t++) table.enter(t, t % 2 ? GFP_KERNEL : GFP_NOFS, 0, (100 + (t % 700)) * 1e9);
  const raw = new MemallocWatchdog({ scheduler: sched, tasks, table, log: noop });
  const bounded = new MemallocWatchdog({ scheduler: sched, tasks, table, log: noop, bound: DEFAULT_REPORT_BOUND });
  let sink = 0;
  bench("baseline: read state and flags of every task", () => {
    for (let t = 0; t <= N; t++) sink += tasks.state(t) + tasks.flags(t) + table.inFlight[t];
  });
  bench("check_memalloc_stalling_tasks, kmallocwd (every task printed)", () => {
    sink += raw.checkStallingTasks().stalling;
  });
  bench("check_memalloc_stalling_tasks, bounded (16 tasks + 8 groups)", () => {
    sink += bounded.checkStallingTasks().stalling;
  });
  void sink;
});

describe("warn_alloc stall check, 4000 looping tasks (not yet due)", () => {
  const w = new WarnAllocStall({ tasks, clock: sched, log: noop });
  const starts = new Float64Array(N + 1).fill(995e9);
  let sink = 0;
  bench("baseline: compare now with start + 10 s", () => {
    const now = sched.now();
    for (let t = 1; t <= N; t++) if (now > starts[t] + 10e9) sink++;
  });
  bench("WarnAllocStall.stallCheck", () => {
    for (let t = 1; t <= N; t++) w.stallCheck(t, GFP_KERNEL, 0, starts[t]);
  });
  void sink;
});
