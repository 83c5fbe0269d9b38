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
import { assignRange } from "./records.js";
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
  const pid = task.pid;
  const tgid = task.tgid;
  let r = s.lastAlloc;
  // The last record written, if still alive and equal in every field, is shared rather than
  // repeated (a task allocating at one instant: boot, a frozen clock). Not under inline storage,
  // whose caller writes the frames into the record afterwards.
  if (
    !s.inline &&
    r !== 0 &&
    a.refs[r] !== 0 &&
    a.handle[r] === handle &&
    a.gfp[r] === gfp &&
    a.reason[r] === -1 &&
    a.pid[r] === pid &&
    a.tgid[r] === tgid &&
    a.ts[r] === ts &&
    a.comm[r] === cid
  ) {
    a.refs[r] += end - pfn;
  } else {
    r = a.take(end - pfn);
    a.handle[r] = handle;
    a.gfp[r] = gfp;
    a.reason[r] = -1;
    a.pid[r] = pid;
    a.tgid[r] = tgid;
    a.ts[r] = ts;
    a.comm[r] = cid;
    s.lastAlloc = r;
  }
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
    const pid = task.pid;
    const tgid = task.tgid;
    let r = s.lastFree;
    // As writeAlloc: an equal live record is shared.
    if (r !== 0 && f.refs[r] !== 0 && f.freeHandle[r] === h && f.freeTs[r] === freeTs && f.freePid[r] === pid && f.freeTgid[r] === tgid) {
      f.refs[r] += end - pfn;
    } else {
      r = f.take(end - pfn);
      f.freeHandle[r] = h;
      f.freeTs[r] = freeTs;
      f.freePid[r] = pid;
      f.freeTgid[r] = tgid;
      s.lastFree = r;
    }
    assign(f, s.free, pfn, end, r);
  } else {
    // free_pid / free_tgid are not written: each page keeps what it had.
    writeFreeKeepPids(s, pfn, end, h, freeTs);
  }
  if (s.counts !== null && oldHandle !== s.earlyHandle) s.counts.dec(oldHandle, 1 << order);
}

/** free_handle and free_ts_nsec over [start, end), keeping each page's free_pid / free_tgid. */
function writeFreeKeepPids(s: OwnerCore, start: number, end: number, h: number, ts: number): void {
  const f = s.f;
  const idx = s.free;
  let p = start;
  while (p < end) {
    const old = idx[p];
    let q = p + 1;
    while (q < end && idx[q] === old) q++;
    const n = q - p;
    if (old !== 0 && f.refs[old] === n) {
      // The run is all of its record's pages: rewrite it in place.
      f.freeHandle[old] = h;
      f.freeTs[old] = ts;
    } else {
      // Shared with pages outside the run (or the zeroed record): the run gets its own record,
      // or the last one written when that already holds exactly these values.
      let r = s.lastFree;
      if (r !== 0 && f.refs[r] !== 0 && f.freeHandle[r] === h && f.freeTs[r] === ts && f.freePid[r] === f.freePid[old] && f.freeTgid[r] === f.freeTgid[old]) {
        f.refs[r] += n;
      } else {
        r = f.take(n);
        f.copy(old, r);
        f.freeHandle[r] = h;
        f.freeTs[r] = ts;
        s.lastFree = r;
      }
      for (let i = p; i < q; i++) idx[i] = r; // runs are short: a loop beats fill()
      if (old !== 0) {
        f.refs[old] -= n - 1;
        f.release(old);
      }
    }
    p = q;
  }
}
