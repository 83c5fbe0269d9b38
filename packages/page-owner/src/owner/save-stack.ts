/**
 * Capture and guard: page_owner's `save_stack()` — the recursion guard, stack_trace_save over
 * the current task's shadow stack, and stack_depot_save. Own frames (__set_page_owner /
 * save_stack) are on the shadow stack for the whole call, so a depot pool allocation made here
 * sees them (that is what the 2016 scan finds).
 * @see mm/page_owner.c save_stack (6.1, 6.12), check_recursive_alloc (v4.7 .. v5.12)
 */
import { TASK_IN_PAGE_OWNER, type Gfp } from "@mm/api";
import { PAGE_OWNER_STACK_DEPTH, type OwnerDepot, type ShadowTask } from "./api.js";
import { GUARD_STACK_SCAN, GUARD_TASK_FLAG, scanTwice } from "./guards.js";
import type { OwnerCore } from "./owner-core.js";
import { MEMO_KEY_SEED, memoMix } from "./trace-memo.js";

// Module-local copies of what the hot path uses: under a module runner (vitest) every read of an
// imported binding is a getter call, which costs more than the work it guards.
const IN_PAGE_OWNER = TASK_IN_PAGE_OWNER;
const NOT_IN_PAGE_OWNER = ~TASK_IN_PAGE_OWNER;
const KEY_SEED = MEMO_KEY_SEED;
const mix = memoMix;
const scanRecursion = scanTwice;
const STACK_DEPTH = PAGE_OWNER_STACK_DEPTH;
const KIND_TASK_FLAG = GUARD_TASK_FLAG;
const KIND_STACK_SCAN = GUARD_STACK_SCAN;

/** stack_trace_save over the shadow stack: frames [skip, skip + max) innermost first into out. */
export function copyStack(task: ShadowTask, skip: number, max: number, out: Uint32Array): number {
  const depth = task.depth;
  let n = depth - skip;
  if (n > max) n = max;
  if (n <= 0) return 0;
  if (task.frameAt !== undefined) {
    // No intermediate innermost-first copy of the whole stack.
    for (let i = 0; i < n; i++) out[i] = task.frameAt(skip + i);
  } else {
    const st = task.stack;
    for (let i = 0; i < n; i++) out[i] = st[skip + i];
  }
  return n;
}

/**
 * save_stack(gfp): the guard, the capture, the depot. Returns the handle to store; for inline
 * storage the frames are left in `s.lastBuf` (count in `s.rawN`).
 */
export function saveStack(s: OwnerCore, task: ShadowTask, outer: number, inner: number, gfp: Gfp): number {
  task.push(outer);
  task.push(inner);
  const kind = s.guardKind;
  if (kind === KIND_TASK_FLAG) {
    // taskFlagGuard's enter/leave, inline.
    if ((task.flags & IN_PAGE_OWNER) !== 0) {
      task.pop();
      task.pop();
      s.stats.dummy++;
      s.rawN = 0;
      return s.dummyHandle;
    }
    task.flags |= IN_PAGE_OWNER;
    try {
      return captureAndSave(s, task, outer, gfp);
    } finally {
      task.flags &= NOT_IN_PAGE_OWNER;
      task.pop();
      task.pop();
    }
  }
  if (kind === KIND_STACK_SCAN) {
    // stackScanGuard's enter/leave do nothing; its scan runs in captureAndSave.
    try {
      return captureAndSave(s, task, outer, gfp);
    } finally {
      task.pop();
      task.pop();
    }
  }
  const guard = s.guard;
  let entered = false;
  try {
    if (guard.enter(task)) {
      s.stats.dummy++;
      s.rawN = 0;
      return s.dummyHandle;
    }
    entered = true;
    return captureAndSave(s, task, outer, gfp);
  } finally {
    if (entered) guard.leave(task);
    task.pop();
    task.pop();
  }
}

function captureAndSave(s: OwnerCore, task: ShadowTask, outer: number, gfp: Gfp): number {
  if (s.onUnwind !== null) s.onUnwind();
  const kind = s.guardKind;
  if (kind === KIND_TASK_FLAG ? false : kind === KIND_STACK_SCAN ? scanRecursion(task, outer) : s.guard.scan(task, outer)) {
    s.stats.dummy++;
    s.rawN = 0;
    return s.dummyHandle;
  }
  let buf = s.levels[s.level];
  if (buf === undefined) s.levels.push((buf = new Uint32Array(STACK_DEPTH)));
  // entries[0..n) = the shadow stack from `skip`, at most `depth` frames (stack_trace_save).
  const depth = task.depth;
  const skip = s.skip;
  let n = depth - skip;
  if (n > s.depth) n = s.depth;
  if (n < 0) n = 0;
  const memo = s.memo;
  let key = KEY_SEED;
  if (memo === null) {
    if (task.frameAt !== undefined) {
      for (let i = 0; i < n; i++) buf[i] = task.frameAt(skip + i);
    } else {
      const st = task.stack;
      for (let i = 0; i < n; i++) buf[i] = st[skip + i];
    }
  } else if (task.frameAt !== undefined) {
    // The model-only memo's key, mixed in the same pass as the copy.
    for (let i = 0; i < n; i++) key = mix(key, (buf[i] = task.frameAt(skip + i)));
  } else {
    const st = task.stack;
    for (let i = 0; i < n; i++) key = mix(key, (buf[i] = st[skip + i]));
  }
  s.rawN = n;
  s.lastBuf = buf;
  if (s.inline) return 0;
  s.stats.saves++;
  if (memo === null) return handleOrFailure(s, depotSave(s, buf, n, gfp));
  // The memo: a hit skips the depot's jhash2 and bucket walk.
  key = (key ^ n) | 0;
  const hit = memo.lookupKeyed(buf, n, key);
  if (hit !== 0) return hit;
  const h = depotSave(s, buf, n, gfp);
  // A nested call may have used the memo meanwhile: look the slot up again before inserting.
  // Failures (0) are never memoised, so a depot that recovers is asked again.
  if (h !== 0 && memo.lookupKeyed(buf, n, key) === 0) memo.insert(buf, n, h);
  return handleOrFailure(s, h);
}

/** stack_depot_save(entries, n, gfp), the raw handle (0 on failure). */
function depotSave(s: OwnerCore, buf: Uint32Array, n: number, gfp: Gfp): number {
  // The depot may allocate and re-enter page_owner right here: nested calls use the next buffer.
  s.level++;
  try {
    return (s.depot as OwnerDepot).save(buf, n, gfp);
  } finally {
    s.level--;
  }
}

/** save_stack's `if (!handle) handle = failure_handle`. */
function handleOrFailure(s: OwnerCore, h: number): number {
  if (h !== 0) return h;
  s.stats.failure++;
  return s.failureHandle;
}
