/**
 * The allocation and free hooks: `__set_page_owner` (post_alloc_hook) writing the record over
 * every base page, and `__reset_page_owner` (free_pages_prepare) recording the free. The record is
 * written once into the shared tables and every base page points at it (records.ts).
 * @see mm/page_owner.c __set_page_owner, __update_page_owner_handle (6.10+; __set_page_owner_handle
 *   in 6.1), __reset_page_owner, __update_page_owner_free_handle (6.10+)
 */
import { GFP_NOWAIT, __GFP_NOWARN, type Gfp, type Order, type Pfn } from "@mm/api";
import type { ShadowTask } from "./api.js";
import { CLEAR_ALLOCATED, CLEAR_OWNER, OWNER_BITS, commId, type OwnerCore } from "./owner-core.js";
import { assignRange, type FreeRecords } from "./records.js";
import { saveStack } from "./save-stack.js";

// Module-local copies: under a module runner (vitest) every read of an imported binding is a
// getter call, which costs more than the work on these hot paths.
const ALL_BITS = OWNER_BITS;
const NOT_ALLOCATED = CLEAR_ALLOCATED;
const NOT_OWNER = CLEAR_OWNER;
const internComm = commId;
const save = saveStack;
const assign = assignRange;

/** The gfp __reset_page_owner hands save_stack: free paths must not sleep. */
const FREE_STACK_GFP: Gfp = GFP_NOWAIT | __GFP_NOWARN;

/**
 * Write an allocation record over [pfn, end) (__set_page_owner_handle / __update_page_owner_handle
 * with the current task's pid, tgid, comm and the clock's ts). @returns the record
 */
export function writeAlloc(s: OwnerCore, pfn: Pfn, end: Pfn, handle: number, order: Order, gfp: Gfp, task: ShadowTask): number {
  const ts = s.clock.now();
  const cid = internComm(s, task.comm);
  const a = s.a;
  const r = a.take(end - pfn);
  a.handle[r] = handle;
  a.gfp[r] = gfp;
  a.reason[r] = -1;
  a.pid[r] = task.pid;
  a.tgid[r] = task.tgid;
  a.ts[r] = ts;
  a.comm[r] = cid;
  assign(a, s.alloc, pfn, end, r);
  const orderA = s.order;
  const flags = s.flags;
  for (let p = pfn; p < end; p++) {
    orderA[p] = order;
    flags[p] |= ALL_BITS;
  }
  return r;
}

/** set_page_owner (post_alloc_hook): save the stack, write every base page, count the stack (6.9+). */
export function setPageOwner(s: OwnerCore, pfn: Pfn, order: Order, gfp: Gfp): void {
  if (!s.inited || !s.pageExt.hasPageExt(pfn)) return;
  const task = s.tasks.current();
  const handle = save(s, task, s.allocOuter, s.allocInner, gfp);
  const end = pfn + (1 << order);
  const r = writeAlloc(s, pfn, end, handle, order, gfp, task);
  if (s.inline) {
    // The frames save_stack left (every base page carried the same 8 slots).
    const n = s.rawN;
    const buf = s.lastBuf;
    const a = s.a;
    for (let i = 0; i < n; i++) a.trace[r * 8 + i] = buf[i];
    a.nrEntries[r] = n;
  }
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
  const oldHandle = s.a.handle[s.alloc[pfn]];
  const freeTs = s.clock.now();
  // save_stack may re-enter page_owner (a depot pool page): take the record after it.
  const h = s.inline ? 0 : save(s, task, s.freeOuter, s.freeInner, FREE_STACK_GFP);
  for (let p = pfn; p < end; p++) flags[p] &= NOT_ALLOCATED;
  const f = s.f;
  if (s.traits.freePids) {
    const r = f.take(end - pfn);
    f.freeHandle[r] = h;
    f.freeTs[r] = freeTs;
    f.freePid[r] = task.pid;
    f.freeTgid[r] = task.tgid;
    assign(f, s.free, pfn, end, r);
  } else {
    // free_pid / free_tgid are not written: each page keeps what it had.
    writeFreeKeepPids(f, s.free, pfn, end, h, freeTs);
  }
  if (s.counts !== null && oldHandle !== s.earlyHandle) s.counts.dec(oldHandle, 1 << order);
}

/** free_handle and free_ts_nsec over [start, end), keeping each page's free_pid / free_tgid. */
function writeFreeKeepPids(f: FreeRecords, idx: Uint32Array, start: number, end: number, h: number, ts: number): void {
  let p = start;
  while (p < end) {
    const old = idx[p];
    let q = p + 1;
    while (q < end && idx[q] === old) q++;
    const n = q - p;
    let r = old;
    if (old === 0 || f.refs[old] !== n) {
      // Shared with pages outside the run (or the zeroed record): the run gets a copy.
      r = f.take(n);
      f.copy(old, r);
      idx.fill(r, p, q);
      if (old !== 0) {
        f.refs[old] -= n - 1;
        f.release(old);
      }
    }
    f.freeHandle[r] = h;
    f.freeTs[r] = ts;
    p = q;
  }
}
