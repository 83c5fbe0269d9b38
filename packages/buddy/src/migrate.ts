/**
 * Migrating one allocated block: a target of the same order, the copy (migrate hooks,
 * folio_copy_owner), the references moved, the old block freed. Kernel counterpart: mm/migrate.c
 * (migrate_pages -> unmap_and_move, folio_migrate_mapping's expected-count check) of 6.1.
 */
import { __GFP_COMP, __GFP_MOVABLE, __GFP_RETRY_MAYFAIL, GFP_USER, type MigrateReason } from "@mm/api";
import { allocPagesNode } from "./alloc-pages.js";
import { EAGAIN, ENOMEM, type MigrateOptions } from "./api.js";
import { freeThePage } from "./free.js";
import { type NodeState } from "./internal/node.js";
import { PB_HEAD, PB_LRU, PB_MOVABLE, PB_TAIL } from "./page-state.js";

/**
 * Migrate the allocated block at pfn (a checked, allocated head).
 * @returns the new pfn, or -EAGAIN (refcount differs from expectedRefs) / -ENOMEM (no target).
 */
export function migratePage(s: NodeState, pfn: number, reason: MigrateReason, opts?: MigrateOptions): number {
  const f = s.flags[pfn];
  const expected = opts?.expectedRefs ?? 1;
  const order = s.order[pfn];
  const refs = s.refcount[pfn];
  if (refs !== expected) return migrateFailed(s, pfn, reason, -EAGAIN);
  const compound = (f & PB_HEAD) !== 0;
  const gfp = opts?.gfp ?? (GFP_USER | __GFP_MOVABLE | __GFP_RETRY_MAYFAIL | (compound ? __GFP_COMP : 0));
  const np = allocPagesNode(s, order, gfp);
  if (np < 0) return migrateFailed(s, pfn, reason, -ENOMEM);
  // The target takes over the source's state: references and page kind.
  s.refcount[np] = refs;
  s.flags[np] = f;
  if (order > 0) {
    const tail = compound ? PB_TAIL | (f & (PB_MOVABLE | PB_LRU)) : 0;
    s.flags.fill(tail, np + 1, np + (1 << order));
  }
  const mig = s.migrateHooks;
  for (let i = 0; i < mig.length; i++) mig[i].migrate(pfn, np, order, reason);
  s.stats.migrations++;
  freeThePage(s, pfn, order);
  return np;
}

function migrateFailed(s: NodeState, pfn: number, reason: number, err: number): number {
  s.stats.migrationFailures++;
  const hooks = s.migrateFailHooks;
  for (let i = 0; i < hooks.length; i++) hooks[i].migrateFail(pfn, reason, err);
  return err;
}
