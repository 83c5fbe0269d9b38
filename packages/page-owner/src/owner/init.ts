/**
 * init_page_owner: the page_ext init callback — register the dummy, failure and early stacks,
 * seed stack_list (6.9+), turn the static key on, then mark every page allocated before this
 * point with early_handle (init_early_allocated_pages -> init_pages_in_zone).
 * @see mm/page_owner.c init_page_owner, register_dummy_stack, register_failure_stack,
 *   register_early_stack, init_early_allocated_pages, init_pages_in_zone
 */
import { GFP_KERNEL, MAX_PAGE_ORDER, type Pfn } from "@mm/api";
import { PAGE_EXT_OWNER } from "@mm/page-ext";
import { DUMMY_STACK_DEPTH, type OwnerDepot } from "./api.js";
import { OWN_FRAME_TEXT } from "./era.js";
import { writeAlloc } from "./hooks.js";
import type { OwnerCore } from "./owner-core.js";
import { copyStack } from "./save-stack.js";
import { StackCounts } from "./stack-counts.js";

/** init_page_owner(); the arrays must already be bound. */
export function initPageOwner(s: OwnerCore): void {
  if (!s.inline) {
    // register_dummy_stack / register_failure_stack / register_early_stack: distinct noinline
    // sites so the three traces differ. Saved with GFP_KERNEL; a depot pool taken here is an
    // untracked (early) page, since the static key is still off.
    s.dummyHandle = registerSpecial(s, "register_dummy_stack", "init_page_owner_dummy");
    s.failureHandle = registerSpecial(s, "register_failure_stack", "init_page_owner_failure");
    s.earlyHandle = registerSpecial(s, "register_early_stack", "init_page_owner_early");
  }
  if (s.traits.stackCounts) {
    // dummy and failure start in stack_list with refcount 1 (count 0); new stacks go in front.
    s.counts = new StackCounts(s.log);
    s.counts.seed(s.failureHandle);
    s.counts.seed(s.dummyHandle);
  }
  s.inited = true;
  initEarlyAllocatedPages(s);
}

function registerSpecial(s: OwnerCore, fn: string, caller: string): number {
  const task = s.tasks.current();
  task.push(s.symbols.intern(OWN_FRAME_TEXT[caller]));
  task.push(s.symbols.intern(OWN_FRAME_TEXT[fn]));
  try {
    // create_dummy_stack(): stack_trace_save(entries, 4, 0), then stack_depot_save(GFP_KERNEL).
    const n = copyStack(task, 0, DUMMY_STACK_DEPTH, s.raw);
    return (s.depot as OwnerDepot).save(s.raw, n, GFP_KERNEL);
  } finally {
    task.pop();
    task.pop();
  }
}

/** init_early_allocated_pages() -> init_pages_in_zone() for each populated zone. */
function initEarlyAllocatedPages(s: OwnerCore): void {
  const mem = s.memory;
  for (const z of mem.zones) {
    let count = 0;
    let pfn = z.startPfn;
    const end = z.endPfn;
    while (pfn < end) {
      if (!mem.pfnValid(pfn)) {
        pfn = alignUp(pfn + 1, 1 << MAX_PAGE_ORDER);
        continue;
      }
      const blockEnd = Math.min(alignUp(pfn + 1, 512), end);
      for (; pfn < blockEnd; pfn++) {
        if (mem.pageZone(pfn) !== z.zone || mem.pageNode(pfn) !== z.node) continue;
        const bo = mem.buddyOrder(pfn);
        if (bo >= 0) {
          if (bo > 0 && bo <= MAX_PAGE_ORDER) pfn += (1 << bo) - 1;
          continue;
        }
        if (mem.pageReserved(pfn)) continue;
        if (!s.pageExt.hasPageExt(pfn)) continue;
        if ((s.flags[pfn] & (1 << PAGE_EXT_OWNER)) !== 0) continue; // overlapping zone
        markEarly(s, pfn);
        count++;
      }
    }
    s.stats.earlyPages.push(count);
    s.log(`Node ${z.node}, zone ${z.name.padStart(8)}: page owner found early allocated ${count} pages`);
  }
}

/** __set_page_owner_handle(page_ext, early_handle, 0, 0) for one page. */
function markEarly(s: OwnerCore, pfn: Pfn): void {
  const task = s.tasks.current();
  const r = writeAlloc(s, pfn, pfn + 1, s.earlyHandle, 0, 0, task);
  if (s.inline) {
    // v3.19-v4.6 captured the init path's own trace for early pages.
    const t = s.raw;
    task.push(s.symbols.intern(OWN_FRAME_TEXT.init_page_owner_early));
    task.push(s.symbols.intern(OWN_FRAME_TEXT.register_early_stack));
    const n = copyStack(task, 0, DUMMY_STACK_DEPTH, t);
    task.pop();
    task.pop();
    s.a.nrEntries[r] = n;
    s.a.trace.set(t.subarray(0, n), r * 8);
  }
}

function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}
