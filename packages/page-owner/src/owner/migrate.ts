/**
 * Migration and split: `__split_page_owner`, `__folio_copy_owner` and
 * `__set_page_owner_migrate_reason`, per era.
 * @see mm/page_owner.c (6.1: __split_page_owner(page, nr), head-only __folio_copy_owner;
 *   6.10+: __split_page_owner(page, old_order, new_order), whole-folio __folio_copy_owner via
 *   __update_page_owner_handle / __update_page_owner_free_handle and the handle swap)
 */
import { MmError, type MigrateReason, type Order, type Pfn } from "@mm/api";
import { OWNER_BITS, type OwnerCore } from "./owner-core.js";

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
  if (!s.traits.folioCopy) {
    // 6.1 __folio_copy_owner: the head record only; free_ts takes the old *ts* (a quirk of 6.0-6.10).
    copyOne(s, oldPfn, newPfn);
    s.freeTs[newPfn] = s.ts[oldPfn];
    s.flags[newPfn] |= OWNER_BITS;
  } else {
    // 6.9+: __update_page_owner_handle(new, old's handle, order, gfp, reason, ts, pid, tgid,
    // comm) over every sub-page, then __update_page_owner_free_handle(new, 0, order,
    // old->free_pid, old->free_tgid, old->free_ts_nsec), then the old folio takes the stack that
    // allocated the destination, so both frees balance the stack counts.
    const n = 1 << s.order[oldPfn];
    const migrateHandle = s.handle[newPfn];
    const freeTs = s.freeTs[oldPfn];
    // Kernel bug reproduced: __update_page_owner_free_handle ignores its pid/tgid arguments and
    // stores current->pid / current->tgid, so the new folio's free pid and tgid become the
    // migrating task's (kcompactd, ...), not the old folio's. With handle 0 it leaves free_handle
    // alone, so dump_page_owner pairs the migrating task's pid with an older free stack.
    const task = s.tasks.current();
    const freePid = s.traits.migrateFreePidFromCurrent ? task.pid : s.freePid[oldPfn];
    const freeTgid = s.traits.migrateFreePidFromCurrent ? task.tgid : s.freeTgid[oldPfn];
    for (let i = 0; i < n; i++) {
      copyOne(s, oldPfn, newPfn + i);
      s.freeTs[newPfn + i] = freeTs;
      s.freePid[newPfn + i] = freePid;
      s.freeTgid[newPfn + i] = freeTgid;
      s.flags[newPfn + i] |= OWNER_BITS;
    }
    s.handle.fill(migrateHandle, oldPfn, oldPfn + n);
  }
  // set_page_owner_migrate_reason(newpage, reason): the head only.
  s.reason[newPfn] = reason;
}

/** Copy the allocation side of one record (order, gfp, reason, handle, pid, tgid, ts, comm). */
function copyOne(s: OwnerCore, from: Pfn, to: Pfn): void {
  s.order[to] = s.order[from];
  s.gfp[to] = s.gfp[from];
  s.reason[to] = s.reason[from];
  s.handle[to] = s.handle[from];
  s.pid[to] = s.pid[from];
  s.tgid[to] = s.tgid[from];
  s.ts[to] = s.ts[from];
  s.comm[to] = s.comm[from];
  if (s.inline) {
    s.nrEntries[to] = s.nrEntries[from];
    s.trace.copyWithin(to * 8, from * 8, from * 8 + 8);
  }
}
