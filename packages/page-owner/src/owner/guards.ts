/**
 * page_owner's recursion guards (mm/page_owner.c save_stack()).
 * - 2016 (v4.7, seed 000): capture first, then scan the trace for the caller's return address
 *   appearing twice (check_recursive_alloc).
 * - 2021 (v5.13, seed 002): a per-task bit, `current->in_page_owner`, tested before anything else.
 */
import { TASK_IN_PAGE_OWNER } from "@mm/api";
import { PAGE_OWNER_STACK_DEPTH, type RecursionGuard, type ShadowTask } from "./api.js";

// Module-local copies: under a module runner (vitest) every read of an imported binding is a
// getter call, too slow for code that runs on every allocation.
const IN_PAGE_OWNER = TASK_IN_PAGE_OWNER;
const SCAN_DEPTH = PAGE_OWNER_STACK_DEPTH;

/** What `guardKind` reports: a guard of unknown make, or one of the two built here. */
export const GUARD_CUSTOM = 0;
export const GUARD_TASK_FLAG = 1;
export const GUARD_STACK_SCAN = 2;
/** The guard objects these factories made (page_owner inlines their behaviour on its hot path). */
const builtIn = new WeakMap<RecursionGuard, number>();

/** GUARD_TASK_FLAG / GUARD_STACK_SCAN for a guard made by this module, else GUARD_CUSTOM. @internal */
export function guardKind(guard: RecursionGuard): number {
  return builtIn.get(guard) ?? GUARD_CUSTOM;
}

/**
 * The 2016 check_recursive_alloc(): does `retIp` appear twice in the innermost
 * PAGE_OWNER_STACK_DEPTH frames? @internal
 */
export function scanTwice(task: ShadowTask, retIp: number): boolean {
  // save_stack_trace() into entries[PAGE_OWNER_STACK_DEPTH] with skip 0, then the scan.
  let n = task.depth;
  if (n > SCAN_DEPTH) n = SCAN_DEPTH;
  let count = 0;
  if (task.frameAt !== undefined) {
    for (let i = 0; i < n; i++) if (task.frameAt(i) === retIp && ++count === 2) return true;
  } else {
    const st = task.stack;
    for (let i = 0; i < n; i++) if (st[i] === retIp && ++count === 2) return true;
  }
  return false;
}

/**
 * The 2016 stack scan. Finds a recursion only after the trace was captured, and only if both
 * __set_page_owner frames fall inside the captured depth.
 *
 * When to use: modelling v4.7-v5.12 kernels. Gotcha: if capturing the trace itself allocates
 * (ia64's unwinder, `onUnwind`), it never gets to scan and the recursion does not end.
 */
export function stackScanGuard(): RecursionGuard {
  const guard: RecursionGuard = {
    name: "stack-scan",
    enter: () => false,
    scan: scanTwice,
    leave: () => {},
  };
  builtIn.set(guard, GUARD_STACK_SCAN);
  return guard;
}

/**
 * The 2021 per-task flag (`in_page_owner`, a 1-bit field after Andrew Morton's review): set around
 * the capture and the depot save; any page_owner call that finds it set is a recursion.
 *
 * When to use: 5.13 and later (the default from 6.1). Costs one bit test per call.
 */
export function taskFlagGuard(): RecursionGuard {
  const guard: RecursionGuard = {
    name: "task-flag",
    enter(task: ShadowTask): boolean {
      if ((task.flags & IN_PAGE_OWNER) !== 0) return true;
      task.flags |= IN_PAGE_OWNER;
      return false;
    },
    scan: () => false,
    leave(task: ShadowTask): void {
      task.flags &= ~IN_PAGE_OWNER;
    },
  };
  builtIn.set(guard, GUARD_TASK_FLAG);
  return guard;
}

/** The guard catalog, for configuration by name. */
export const RecursionGuards = { stackScan: stackScanGuard, taskFlag: taskFlagGuard } as const;
