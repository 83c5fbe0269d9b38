/**
 * Subscribing to allocator events. The rooms call each method's subscriber array in a plain loop
 * (no dispatch when nobody listens); this room only rebuilds those arrays.
 * Kernel counterpart: the call sites of set_page_owner, page_table_check, kasan and friends in
 * post_alloc_hook / free_pages_prepare, and the migrate/refcount tracepoints.
 */
import type { AllocHooks } from "@mm/api";
import { type NodeState } from "./internal/node.js";

/** Subscribe to allocator events; returns the unsubscribe function. */
export function addHooks(s: NodeState, hooks: AllocHooks): () => void {
  rebuildHooks(s, hooks, true);
  let done = false;
  return () => {
    if (done) return;
    done = true;
    rebuildHooks(s, hooks, false);
  };
}

/** One array per method holds the subscribers that implement it (copy-on-write). */
function rebuildHooks(s: NodeState, hooks: AllocHooks, add: boolean): void {
  const next = <T>(arr: T[], has: boolean): T[] => {
    if (!has) return arr;
    if (add) return [...arr, hooks as T];
    // Remove one subscription only: the same object may be subscribed more than once.
    const i = arr.indexOf(hooks as T);
    return i < 0 ? arr : [...arr.slice(0, i), ...arr.slice(i + 1)];
  };
  s.postAllocHooks = next(s.postAllocHooks, hooks.postAlloc !== undefined);
  s.freePrepareHooks = next(s.freePrepareHooks, hooks.freePrepare !== undefined);
  s.splitHooks = next(s.splitHooks, hooks.split !== undefined);
  s.migrateHooks = next(s.migrateHooks, hooks.migrate !== undefined);
  s.migrateFailHooks = next(s.migrateFailHooks, hooks.migrateFail !== undefined);
  s.getHooks = next(s.getHooks, hooks.get !== undefined);
  s.putHooks = next(s.putHooks, hooks.put !== undefined);
  s.slowpathEnterHooks = next(s.slowpathEnterHooks, hooks.slowpathEnter !== undefined);
  s.slowpathExitHooks = next(s.slowpathExitHooks, hooks.slowpathExit !== undefined);
}
