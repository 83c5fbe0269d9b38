/**
 * The allocation and free hooks: `__set_page_owner` (post_alloc_hook) writing the record over
 * every base page, and `__reset_page_owner` (free_pages_prepare) recording the free.
 * @see mm/page_owner.c __set_page_owner, __update_page_owner_handle (6.10+; __set_page_owner_handle
 *   in 6.1), __reset_page_owner, __update_page_owner_free_handle (6.10+)
 */
import { GFP_NOWAIT, __GFP_NOWARN, type Gfp, type Order, type Pfn } from "@mm/api";
import type { ShadowTask } from "./api.js";
import { CLEAR_ALLOCATED, CLEAR_OWNER, OWNER_BITS, SMALL_RUN, commId, type OwnerCore } from "./owner-core.js";
import { saveStack } from "./save-stack.js";

// Module-local copies: under a module runner (vitest) every read of an imported binding is a
// getter call, which costs more than the work on these hot paths.
const ALL_BITS = OWNER_BITS;
const SMALL = SMALL_RUN;
const NOT_ALLOCATED = CLEAR_ALLOCATED;
const NOT_OWNER = CLEAR_OWNER;
const internComm = commId;
const save = saveStack;

/** The gfp __reset_page_owner hands save_stack: free paths must not sleep. */
const FREE_STACK_GFP: Gfp = GFP_NOWAIT | __GFP_NOWARN;

/**
 * Write an allocation record over [pfn, end) (__set_page_owner_handle / __update_page_owner_handle
 * with the current task's pid, tgid, comm and the clock's ts).
 */
export function writeAlloc(s: OwnerCore, pfn: Pfn, end: Pfn, handle: number, order: Order, gfp: Gfp, task: ShadowTask): void {
  const ts = s.clock.now();
  const cid = internComm(s, task.comm);
  const pid = task.pid;
  const tgid = task.tgid;
  if (end - pfn <= SMALL) {
    // Orders 0-4, the common case: plain stores beat eight fill() calls.
    const handleA = s.handle;
    const orderA = s.order;
    const gfpA = s.gfp;
    const reasonA = s.reason;
    const pidA = s.pid;
    const tgidA = s.tgid;
    const tsA = s.ts;
    const commA = s.comm;
    const flags = s.flags;
    for (let p = pfn; p < end; p++) {
      handleA[p] = handle;
      orderA[p] = order;
      gfpA[p] = gfp;
      reasonA[p] = -1;
      pidA[p] = pid;
      tgidA[p] = tgid;
      tsA[p] = ts;
      commA[p] = cid;
      flags[p] |= ALL_BITS;
    }
    return;
  }
  s.handle.fill(handle, pfn, end);
  s.order.fill(order, pfn, end);
  s.gfp.fill(gfp, pfn, end);
  s.reason.fill(-1, pfn, end);
  s.pid.fill(pid, pfn, end);
  s.tgid.fill(tgid, pfn, end);
  s.ts.fill(ts, pfn, end);
  s.comm.fill(cid, pfn, end);
  const flags = s.flags;
  for (let p = pfn; p < end; p++) flags[p] |= ALL_BITS;
}

/** set_page_owner (post_alloc_hook): save the stack, write every base page, count the stack (6.9+). */
export function setPageOwner(s: OwnerCore, pfn: Pfn, order: Order, gfp: Gfp): void {
  if (!s.inited || !s.pageExt.hasPageExt(pfn)) return;
  const task = s.tasks.current();
  const handle = save(s, task, s.allocOuter, s.allocInner, gfp);
  const end = pfn + (1 << order);
  if (s.inline) {
    const n = s.rawN;
    const buf = s.lastBuf;
    const tr = s.trace;
    for (let p = pfn; p < end; p++) {
      const base = p * 8;
      for (let i = 0; i < n; i++) tr[base + i] = buf[i];
      s.nrEntries[p] = n;
    }
  }
  writeAlloc(s, pfn, end, handle, order, gfp, task);
  if (s.counts !== null) s.counts.inc(handle, 1 << order);
}

/**
 * reset_page_owner (free_pages_prepare): clear ALLOCATED, store the free stack, free_ts and (6.10+)
 * the freeing task's pid and tgid; 6.9+ subtracts the pages from the allocation stack's count.
 */
export function resetPageOwner(s: OwnerCore, pfn: Pfn, order: Order): void {
  if (!s.inited || !s.pageExt.hasPageExt(pfn)) return;
  const end = pfn + (1 << order);
  const flags = s.flags;
  if (!s.traits.recordsFree) {
    // Before ~5.4 the free only cleared PAGE_EXT_OWNER: no stack, no history.
    for (let p = pfn; p < end; p++) flags[p] &= NOT_OWNER;
    return;
  }
  const task = s.tasks.current();
  const oldHandle = s.handle[pfn];
  const freeTs = s.clock.now();
  const h = s.inline ? 0 : save(s, task, s.freeOuter, s.freeInner, FREE_STACK_GFP);
  if (end - pfn <= SMALL) {
    // Orders 0-4: plain stores beat fill() calls.
    const freeHandle = s.freeHandle;
    const freeTsA = s.freeTs;
    for (let p = pfn; p < end; p++) {
      flags[p] &= NOT_ALLOCATED;
      freeHandle[p] = h;
      freeTsA[p] = freeTs;
    }
    if (s.traits.freePids) {
      const pid = task.pid;
      const tgid = task.tgid;
      const freePid = s.freePid;
      const freeTgid = s.freeTgid;
      for (let p = pfn; p < end; p++) {
        freePid[p] = pid;
        freeTgid[p] = tgid;
      }
    }
  } else {
    for (let p = pfn; p < end; p++) flags[p] &= NOT_ALLOCATED;
    s.freeHandle.fill(h, pfn, end);
    s.freeTs.fill(freeTs, pfn, end);
    if (s.traits.freePids) {
      s.freePid.fill(task.pid, pfn, end);
      s.freeTgid.fill(task.tgid, pfn, end);
    }
  }
  if (s.counts !== null && oldHandle !== s.earlyHandle) s.counts.dec(oldHandle, 1 << order);
}
