/**
 * Migration and split: `__split_page_owner`, `__folio_copy_owner` and
 * `__set_page_owner_migrate_reason`, per era. Writes that touch some pages of a shared record copy
 * it first (records.ts), so the other pages keep theirs.
 * @see mm/page_owner.c (6.1: __split_page_owner(page, nr), head-only __folio_copy_owner;
 *   6.10+: __split_page_owner(page, old_order, new_order), whole-folio __folio_copy_owner via
 *   __update_page_owner_handle / __update_page_owner_free_handle and the handle swap)
 */
import { MmError, type MigrateReason, type Order, type Pfn } from "@mm/api";
import { OWNER_BITS, type OwnerCore } from "./owner-core.js";
import { assignRange, ownRecord, rewriteRange } from "./records.js";

/**
 * split_page_owner(page, old_order, new_order): every base page of the old block gets order
 * `newOrder` and keeps its stack. 6.1's form takes `nr` and always writes 0; 6.10+ writes
 * new_order (huge page split to any lower order).
 * @throws MmError EINVAL for newOrder > oldOrder, or a non-zero newOrder before 6.10 (state intact)
 */
export function splitPageOwner(s: OwnerCore, pfn: Pfn, oldOrder: Order, newOrder: Order): void {
  if (!Number.isInteger(newOrder) || newOrder < 0 || newOrder > oldOrder)
    throw new MmError("EINVAL", `split from order ${oldOrder} to order ${newOrder}`, { pfn });
  if (newOrder !== 0 && !s.traits.splitToOrder)
    throw new MmError("EINVAL", `page_owner ${s.traits.era} splits to order 0 only (__split_page_owner(page, nr))`, { pfn });
  if (!s.inited || !s.pageExt.hasPageExt(pfn)) return;
  s.order.fill(newOrder, pfn, pfn + (1 << oldOrder));
}

/** folio_copy_owner + set_page_owner_migrate_reason, after a successful migration. */
export function migratePageOwner(s: OwnerCore, oldPfn: Pfn, newPfn: Pfn, reason: MigrateReason): void {
  if (!s.inited || !s.pageExt.hasPageExt(oldPfn) || !s.pageExt.hasPageExt(newPfn)) return;
  const a = s.a;
  const f = s.f;
  const oldRec = s.alloc[oldPfn];
  if (!s.traits.folioCopy) {
    // 6.1 __folio_copy_owner: the head record only; free_ts takes the old *ts* (a quirk of 6.0-6.10).
    copyAlloc(s, oldPfn, newPfn, newPfn + 1);
    const ts = a.ts[oldRec];
    rewriteRange(f, s.free, newPfn, newPfn + 1, (r) => {
      f.freeTs[r] = ts;
    });
    s.flags[newPfn] |= OWNER_BITS;
  } else {
    // 6.9+: __update_page_owner_handle(new, old's handle, order, gfp, reason, ts, pid, tgid,
    // comm) over every sub-page, then __update_page_owner_free_handle(new, 0, order,
    // old->free_pid, old->free_tgid, old->free_ts_nsec), then the old folio takes the stack that
    // allocated the destination, so both frees balance the stack counts.
    const n = 1 << s.order[oldPfn];
    const migrateHandle = a.handle[s.alloc[newPfn]];
    const oldFree = s.free[oldPfn];
    const freeTs = f.freeTs[oldFree];
    // Kernel bug reproduced: __update_page_owner_free_handle ignores its pid/tgid arguments and
    // stores current->pid / current->tgid, so the new folio's free pid and tgid become the
    // migrating task's (kcompactd, ...), not the old folio's. With handle 0 it leaves free_handle
    // alone, so dump_page_owner pairs the migrating task's pid with an older free stack.
    const task = s.tasks.current();
    const freePid = s.traits.migrateFreePidFromCurrent ? task.pid : f.freePid[oldFree];
    const freeTgid = s.traits.migrateFreePidFromCurrent ? task.tgid : f.freeTgid[oldFree];
    copyAlloc(s, oldPfn, newPfn, newPfn + n);
    rewriteRange(f, s.free, newPfn, newPfn + n, (r) => {
      f.freeTs[r] = freeTs;
      f.freePid[r] = freePid;
      f.freeTgid[r] = freeTgid;
    });
    for (let i = 0; i < n; i++) s.flags[newPfn + i] |= OWNER_BITS;
    rewriteRange(a, s.alloc, oldPfn, oldPfn + n, (r) => {
      a.handle[r] = migrateHandle;
    });
  }
  // set_page_owner_migrate_reason(newpage, reason): the head only.
  a.reason[ownRecord(a, s.alloc, newPfn)] = reason;
}

/** The allocation side of the old head (order, gfp, reason, handle, pid, tgid, ts, comm) onto [to, end). */
function copyAlloc(s: OwnerCore, from: Pfn, to: Pfn, end: Pfn): void {
  const a = s.a;
  const src = s.alloc[from];
  const r = a.take(end - to);
  a.copy(src, r);
  assignRange(a, s.alloc, to, end, r);
  s.order.fill(s.order[from], to, end);
}
