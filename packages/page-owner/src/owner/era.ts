/**
 * What each modelled kernel era of page_owner records, skips and prints (kernel-spec §4).
 */
import type { GfpEra } from "@mm/api";
import { type CMember, cStructLayout, PAGE_EXT_FLAGS_BYTES, PAGE_OWNER_ERAS, type PageOwnerEra } from "@mm/page-ext";
import { PAGE_OWNER_INLINE_DEPTH, PAGE_OWNER_STACK_DEPTH, type OwnerEra, type StackStorage } from "./api.js";

export interface EraTraits {
  readonly era: OwnerEra;
  /** page_ext layout profile for the byte accounting. */
  readonly layout: PageOwnerEra;
  /** Frames skipped from the innermost end of the raw trace (page_owner's own frames first). */
  readonly skip: number;
  /** Own frames pushed while capturing an allocation stack, outermost first. */
  readonly allocFrames: readonly string[];
  /** Own frames pushed while capturing a free stack, outermost first. */
  readonly freeFrames: readonly string[];
  /** free_handle / free_ts / PAGE_EXT_OWNER_ALLOCATED exist (~5.4+). */
  readonly recordsFree: boolean;
  /** free_pid / free_tgid (6.10+). */
  readonly freePids: boolean;
  /** page_owner_stacks/ with per-stack base-page counts (6.9+). */
  readonly stackCounts: boolean;
  /** show_handles / show_stacks_handles (6.19). */
  readonly showHandles: boolean;
  /** Migration copies every sub-page and swaps handles (6.9 fix), vs the head record only (6.1). */
  readonly folioCopy: boolean;
  /**
   * Migration stores the *migrating* task's pid/tgid as the new folio's free_pid/free_tgid:
   * 6.9+ __update_page_owner_free_handle ignores its pid/tgid arguments (a kernel bug).
   */
  readonly migrateFreePidFromCurrent: boolean;
  /** __split_page_owner(page, old_order, new_order) (6.10, Zi Yan) vs (page, nr) writing order 0. */
  readonly splitToOrder: boolean;
  /** Text formats exist for this era (6.1+ only are modelled byte-exact). */
  readonly text: boolean;
  /** debugfs first line still carries `, free_ts %llu ns` (removed in 6.7). */
  readonly debugfsFreeTs: boolean;
  /** `PFN 0x%lx` (hex) instead of `PFN %lu`. */
  readonly pfnHex: boolean;
  /** `%pGg` table. */
  readonly gfpNames: GfpEra;
  /** dump_page_owner: `page last free pid %d tgid %d stack trace:` (2024) vs `page last free stack trace:`. */
  readonly dumpFreePid: boolean;
}

const FRAMES_2016 = ["__set_page_owner", "save_stack"] as const;

export const ERA_TRAITS: Readonly<Record<OwnerEra, EraTraits>> = {
  "v4.6": {
    era: "v4.6",
    layout: "v4.6",
    // __set_page_owner called save_stack_trace(skip 3): the unwinder's frame, __set_page_owner and
    // get_page_from_freelist (prep_new_page inlined) were dropped (inferred from the x86 walker).
    skip: 3,
    allocFrames: ["__set_page_owner", "save_stack_trace"],
    freeFrames: ["__reset_page_owner", "save_stack_trace"],
    recordsFree: false,
    freePids: false,
    stackCounts: false,
    showHandles: false,
    folioCopy: false,
    migrateFreePidFromCurrent: false,
    splitToOrder: false,
    text: false,
    debugfsFreeTs: false,
    pfnHex: false,
    gfpNames: "6.1",
    dumpFreePid: false,
  },
  "v4.7": {
    era: "v4.7",
    layout: "v4.7",
    // skip 0: traces began with save_stack and __set_page_owner until "mm, page_owner: skip
    // unnecessary stack_trace entries" (2018) set skip 2.
    skip: 0,
    allocFrames: FRAMES_2016,
    freeFrames: ["__reset_page_owner", "save_stack"],
    recordsFree: false,
    freePids: false,
    stackCounts: false,
    showHandles: false,
    folioCopy: false,
    migrateFreePidFromCurrent: false,
    splitToOrder: false,
    text: false,
    debugfsFreeTs: false,
    pfnHex: false,
    gfpNames: "6.1",
    dumpFreePid: false,
  },
  "6.1": {
    era: "6.1",
    layout: "6.1",
    skip: 2,
    allocFrames: FRAMES_2016,
    freeFrames: ["__reset_page_owner", "save_stack"],
    recordsFree: true,
    freePids: false,
    stackCounts: false,
    showHandles: false,
    folioCopy: false,
    migrateFreePidFromCurrent: false,
    splitToOrder: false,
    text: true,
    debugfsFreeTs: true,
    pfnHex: false,
    gfpNames: "6.1",
    dumpFreePid: false,
  },
  "6.10": {
    era: "6.10",
    layout: "6.10",
    skip: 2,
    allocFrames: FRAMES_2016,
    freeFrames: ["__reset_page_owner", "save_stack"],
    recordsFree: true,
    freePids: true,
    stackCounts: true,
    showHandles: false,
    folioCopy: true,
    migrateFreePidFromCurrent: true,
    splitToOrder: true,
    text: true,
    debugfsFreeTs: false,
    pfnHex: true,
    gfpNames: "current",
    dumpFreePid: true,
  },
  "6.19": {
    era: "6.19",
    layout: "6.10",
    skip: 2,
    allocFrames: FRAMES_2016,
    freeFrames: ["__reset_page_owner", "save_stack"],
    recordsFree: true,
    freePids: true,
    stackCounts: true,
    showHandles: true,
    folioCopy: true,
    migrateFreePidFromCurrent: true,
    splitToOrder: true,
    text: true,
    debugfsFreeTs: false,
    pfnHex: true,
    gfpNames: "current",
    dumpFreePid: true,
  },
};

/**
 * Model texts of page_owner's own frames. They never print in 6.1+ (skipped), so their offsets are
 * the model's; the three register_*_stack and init_page_owner texts are the 6.1 fixture's where it
 * shows them (early), and inferred call sites for the other two.
 */
export const OWN_FRAME_TEXT: Readonly<Record<string, string>> = {
  __set_page_owner: "__set_page_owner+0x2f/0x1a0",
  __reset_page_owner: "__reset_page_owner+0x41/0xb0",
  save_stack: "save_stack+0x6b/0xd0",
  save_stack_trace: "save_stack_trace+0x1b/0x20",
  init_page_owner_dummy: "init_page_owner+0x29/0x300",
  init_page_owner_failure: "init_page_owner+0x2e/0x300",
  init_page_owner_early: "init_page_owner+0x33/0x300",
  register_dummy_stack: "register_dummy_stack+0x31/0x65",
  register_failure_stack: "register_failure_stack+0x31/0x65",
  register_early_stack: "register_early_stack+0x31/0x65",
};

/** Frames per trace under a storage policy. */
export function storageDepth(storage: StackStorage): number {
  return storage.kind === "inline8" ? PAGE_OWNER_INLINE_DEPTH : PAGE_OWNER_STACK_DEPTH;
}

/**
 * The C members of page_owner's per-page data for an era under a storage policy: the era's own
 * layout, with the stack part swapped when the storage policy is not the era's (an A/B "what if").
 */
export function ownerMembers(era: OwnerEra, storage: StackStorage): readonly CMember[] {
  const profile = PAGE_OWNER_ERAS[ERA_TRAITS[era].layout];
  const members = profile.members;
  if (storage.kind === profile.storage) return members;
  const out: CMember[] = [];
  for (const m of members) {
    if (storage.kind === "inline8" && m.name === "handle") {
      out.push({ name: "nr_entries", type: "unsigned int" }, { name: "trace_entries", type: "unsigned long", count: 8 });
    } else if (storage.kind === "depot" && m.name === "trace_entries") {
      out.push({ name: "handle", type: "depot_stack_handle_t" });
    } else if (!(storage.kind === "depot" && m.name === "nr_entries")) {
      out.push(m);
    }
  }
  return out;
}

/** page_ext client size of page_owner (bytes per page beyond the flags word). */
export function ownerClientSize(era: OwnerEra, storage: StackStorage): number {
  const size = cStructLayout(ownerMembers(era, storage)).size;
  return PAGE_OWNER_ERAS[ERA_TRAITS[era].layout].inlineInPageExt ? size - PAGE_EXT_FLAGS_BYTES : size;
}
