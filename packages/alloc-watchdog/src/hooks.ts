/**
 * kmallocwd's two call sites as AllocHooks: an allocator that calls slowpathEnter/slowpathExit
 * around its slow path (start_memalloc_timer / stop_memalloc_timer) keeps the MemallocTable of
 * `current` up to date.
 */
import type { AllocHooks, Clock, Gfp, Order, Pfn, Task, TaskContext } from "@mm/api";
import type { MemallocTable } from "./memalloc.js";

export interface MemallocHooksOptions {
  readonly table: MemallocTable;
  readonly tasks: TaskContext;
  /** The table index of a task (the same index the MemallocTaskView uses). */
  readonly indexOf: (task: Task) => number;
  readonly clock: Clock;
}

export function memallocHooks(opts: MemallocHooksOptions): AllocHooks {
  const { table, tasks, indexOf, clock } = opts;
  return {
    slowpathEnter(gfp: Gfp, order: Order): void {
      if (table.tracks(gfp)) table.enter(indexOf(tasks.current()), gfp, order, clock.now());
    },
    slowpathExit(gfp: Gfp, _order: Order, _pfn: Pfn): void {
      if (table.tracks(gfp)) table.exit(indexOf(tasks.current()), gfp);
    },
  };
}
