/**
 * __alloc_contig_migrate_range() as mm/page_alloc.c and mm/migrate.c do it (5.16, the RFC's base):
 * isolate up to COMPACT_CLUSTER_MAX in-use pages of the range (isolate_migratepages_block takes a
 * reference on each: the isolation reference), migrate_pages() them with up to 10 passes while
 * some return -EAGAIN (a page whose refcount differs from the expected one stays on the list), and
 * call migrate_pages again on what is left until `++tries == 5`; then -EBUSY and
 * putback_movable_pages(): putback_lru_page = lru_cache_add (a reference into the LRU batch) and
 * put_page (the isolation reference). RFC v2 reports every failed unmap_and_move (each pass).
 *
 * Model shortcuts: migration targets are allocated GFP_USER (outside the CMA area; the kernel keeps
 * them out of the range by isolating its pageblocks); the old page of a successful move is freed
 * by @mm/buddy at once instead of by the isolation reference's put.
 */
import type { Pfn } from "@mm/api";

/** COMPACT_CLUSTER_MAX = SWAP_CLUSTER_MAX: pages isolated per migrate_pages call. */
export const COMPACT_CLUSTER_MAX = 32;
/** migrate_pages(): `for (pass = 0; pass < 10 && retry; pass++)`. */
export const MIGRATE_PASSES = 10;
/** __alloc_contig_migrate_range(): `else if (++tries == 5) { ret = -EBUSY; break; }`. */
export const CONTIG_TRIES = 5;
const EBUSY = 16;
const EAGAIN = 11;
const ENOMEM = 12;

/** What the migration needs from the machine and its workload. */
export interface ContigOps {
  /** An LRU page (page cache or anonymous) the workload owns, so isolate_lru_page can take it. */
  isLruPage(pfn: Pfn): boolean;
  /** folio_try_get by isolate_migratepages_block. */
  isolate(pfn: Pfn): void;
  /**
   * One unmap_and_move: the new pfn, or -EAGAIN (refcount != expected; the migrateFail hooks have
   * run) or -ENOMEM (no target). Expected = the isolation reference + the page cache / mapping one.
   */
  migrateOne(pfn: Pfn): number;
  /** Successful move: folio_putback_lru(new) = folio_add_lru + the isolation put. */
  putbackMoved(newPfn: Pfn): void;
  /** putback_movable_pages on a page left on the list. */
  putbackFailed(pfn: Pfn): void;
}

export interface ContigResult {
  /** 0, -EBUSY, or -ENOMEM (migrate_pages bails out, so does the caller). */
  readonly ret: number;
  /** unmap_and_move calls that returned -EAGAIN. */
  readonly eagain: number;
  /** migrate_pages calls. */
  readonly migrateCalls: number;
  readonly migrated: number;
  /** Pages put back by putback_movable_pages. */
  readonly putBack: readonly Pfn[];
}

/** Migrate the in-use pages of [start, end) out; see the header. */
export function allocContigMigrateRange(ops: ContigOps, start: Pfn, end: Pfn, inUse: (pfn: Pfn) => boolean): ContigResult {
  let pfn = start;
  let list: Pfn[] = [];
  let tries = 0;
  let eagain = 0;
  let migrateCalls = 0;
  let migrated = 0;
  let ret = 0;
  while (pfn < end || list.length > 0) {
    if (list.length === 0) {
      // isolate_migratepages_range: the next COMPACT_CLUSTER_MAX LRU pages.
      while (pfn < end && list.length < COMPACT_CLUSTER_MAX) {
        if (inUse(pfn) && ops.isLruPage(pfn)) {
          ops.isolate(pfn);
          list.push(pfn);
        }
        pfn++;
      }
      tries = 0;
      if (list.length === 0) continue;
    } else if (++tries === CONTIG_TRIES) {
      ret = -EBUSY;
      break;
    }
    migrateCalls++;
    for (let pass = 0; pass < MIGRATE_PASSES && list.length > 0 && ret === 0; pass++) {
      const left: Pfn[] = [];
      for (let i = 0; i < list.length; i++) {
        const p = list[i];
        const np = ret === 0 ? ops.migrateOne(p) : -EAGAIN;
        if (np >= 0) {
          migrated++;
          ops.putbackMoved(np);
        } else {
          if (np === -EAGAIN) eagain++;
          else if (np === -ENOMEM) ret = -ENOMEM; // the rest stay on the list untried
          left.push(p);
        }
      }
      list = left;
    }
    if (ret < 0) break;
  }
  if (ret < 0) for (const p of list) ops.putbackFailed(p);
  return { ret, eagain, migrateCalls, migrated, putBack: ret < 0 ? list : [] };
}
