/**
 * Public types and constants of @mm/page-ext (include/linux/page_ext.h).
 */
import type { Pfn } from "@mm/api";

// enum page_ext_flags on x86-64 (~5.4 to today; YOUNG/IDLE exist only on 32-bit).
/** page_owner has recorded this page at least once (stays set after free). */
export const PAGE_EXT_OWNER = 0;
/** page_owner: the page is allocated right now (set on alloc, cleared on free). */
export const PAGE_EXT_OWNER_ALLOCATED = 1;
/**
 * Minchan Kim's page pin owner RFC v2 appended its bit after the page-idle bits, which do not exist
 * on 64-bit, so on x86-64 it is bit 2.
 */
export const PAGE_EXT_PIN_OWNER = 2;

/** Element type of one client field (one typed array per field, indexed by pfn). */
export type FieldKind = "u8" | "i8" | "u16" | "i16" | "u32" | "i32" | "f64";

/** One client field: `per` elements per page (e.g. 8 for an inline 8-frame trace). */
export interface FieldSpec {
  readonly kind: FieldKind;
  /** Elements per page; the array holds `per * nrPages` elements, page p at `p * per`. @defaultValue 1 */
  readonly per?: number;
}

export type FieldSpecs = Readonly<Record<string, FieldSpec>>;

/** The typed array a field kind maps to. */
export type FieldArray<K extends FieldKind> = K extends "u8"
  ? Uint8Array<ArrayBuffer>
  : K extends "i8"
    ? Int8Array<ArrayBuffer>
    : K extends "u16"
      ? Uint16Array<ArrayBuffer>
      : K extends "i16"
        ? Int16Array<ArrayBuffer>
        : K extends "u32"
          ? Uint32Array<ArrayBuffer>
          : K extends "i32"
            ? Int32Array<ArrayBuffer>
            : Float64Array<ArrayBuffer>;

/** A client's storage: one typed array per declared field. */
export type FieldArrays<F extends FieldSpecs> = { readonly [N in keyof F]: FieldArray<F[N]["kind"]> };

/**
 * A page_ext client, as `struct page_ext_operations`: the core calls `need()` once at init, lays
 * out every needing client in registration order, and then calls `init()`.
 * @see mm/page_ext.c page_ext_ops[], invoke_need_callbacks(), invoke_init_callbacks()
 */
export interface PageExtOps<F extends FieldSpecs = FieldSpecs> {
  readonly name: string;
  /**
   * Bytes per page of the client's private C data (`page_ext_operations.size`), in the layout of the
   * kernel era modelled. Only the byte accounting uses it.
   */
  readonly size: number;
  /**
   * The client uses the shared `page_ext->flags` word (`need_shared_flags`, 6.3+: "mm/page_ext:
   * Do not allocate space for page_ext->flags if not needed"; 6.1 has no such field).
   */
  readonly needSharedFlags: boolean;
  /** The model's storage for the client: one typed array per field. */
  readonly fields: F;
  /** True if the client wants page_ext this boot (page_owner: `page_owner=on`). */
  need(): boolean;
  /** Called after every table exists and the `allocated N bytes` line was printed. */
  init?(client: PageExtClient<F>): void;
}

/** What a registered client gets back: its offset, its arrays and the shared flags. */
export interface PageExtClient<F extends FieldSpecs = FieldSpecs> {
  readonly name: string;
  /** need() said yes and init() of page_ext has run. */
  readonly enabled: boolean;
  /** `page_ext_operations.offset` (bytes from the start of a page's entry), -1 if not needed. */
  readonly offset: number;
  readonly size: number;
  /**
   * The client's field arrays, indexed by pfn (times `per`).
   * @throws MmError BAD_STATE when the client is not enabled.
   */
  readonly data: FieldArrays<F>;
  /** The shared flags word per pfn, or null when no needing client asked for it. */
  readonly flags: Uint32Array<ArrayBuffer> | null;
}

/** A half-open pfn range of present memory. */
export interface PfnRange {
  readonly startPfn: Pfn;
  readonly endPfn: Pfn;
}

/**
 * Where each section's table comes from (mm/page_ext.c alloc_page_ext): the buddy allocator after
 * it is up (alloc_pages_exact_nid, then vzalloc_node), or plain byte accounting.
 */
export interface PageExtMemory {
  /** Back `bytes` of one section's table on node `nid`; false when memory cannot be found. */
  allocTable(bytes: number, nid: number): boolean;
  /** Undo every allocTable so far (the kernel panics on failure; the model restores the machine). */
  rollback(): void;
}

/**
 * How the flags word is accounted.
 * - `"shared"` (6.3+): page_ext_size starts at 8 only if a needing client has needSharedFlags.
 * - `"always"` (up to 6.2, so 6.1.y too): every entry starts with the 8-byte `struct page_ext`.
 * With page_owner on the two agree (it uses the flags word), so a 6.1 run's bytes are the same.
 */
export type FlagsWordPolicy = "shared" | "always";

export interface PageExtOptions {
  /** Present memory. A 128 MiB section with any present pfn gets a table (SPARSEMEM). */
  readonly ranges: readonly PfnRange[];
  /** Where tables come from. @defaultValue a byte counter that never fails */
  readonly memory?: PageExtMemory;
  /** printk sink for `allocated N bytes of page_ext` / `page ext allocation failure`. @defaultValue none */
  readonly log?: (line: string) => void;
  /** @defaultValue "shared" (6.3+; use "always" for 6.1) */
  readonly flagsWord?: FlagsWordPolicy;
  /** NUMA node of every range. @defaultValue 0 */
  readonly nid?: number;
}

/** Where one section's table went. */
export interface SectionTable {
  readonly section: number;
  readonly bytes: number;
}

/** The page_ext core: registration, layout, per-section tables, lookup. */
export interface PageExt {
  /**
   * Add a client (the compile-time `page_ext_ops[]` order is the registration order).
   * @throws MmError BAD_STATE after init(); BAD_CONFIG for a bad size, a duplicate name or a bad field.
   */
  register<F extends FieldSpecs>(ops: PageExtOps<F>): PageExtClient<F>;
  /**
   * page_ext_init(): need callbacks, offsets, one table per present section, the
   * `allocated N bytes of page_ext` line, init callbacks. Nothing is allocated if nobody needs it.
   * @throws MmError NOMEM (after `page ext allocation failure`; the memory is rolled back), BAD_STATE if called twice.
   */
  init(): void;
  readonly inited: boolean;
  /** page_ext_size: bytes per page of one entry (0 when nothing is needed). */
  readonly entrySize: number;
  /** total_usage: bytes of every table, as printed. */
  readonly totalUsage: number;
  readonly tables: readonly SectionTable[];
  /** The shared flags word per pfn, or null. */
  readonly flags: Uint32Array<ArrayBuffer> | null;
  /** Pages covered by the arrays (a whole number of sections from pfn 0). */
  readonly nrPages: number;
  /** lookup_page_ext(page) != NULL. */
  hasPageExt(pfn: Pfn): boolean;
  /** Throws MmError INVARIANT when layout, tables or arrays disagree. */
  checkInvariants(): void;
}
