/**
 * C struct layout arithmetic (x86-64 LP64) and the era layouts of page_owner's per-page record.
 * Only the byte accounting uses these: the model itself stores fields struct-of-arrays.
 * Kernel: include/linux/page_ext.h (struct page_ext), mm/page_owner.c (struct page_owner).
 */
import { MmError } from "@mm/api";

/** The C scalar types the layouts use, with x86-64 sizes (= alignments). */
export const C_TYPE_SIZES = {
  char: 1,
  short: 2,
  "unsigned short": 2,
  int: 4,
  "unsigned int": 4,
  long: 8,
  "unsigned long": 8,
  u64: 8,
  gfp_t: 4,
  pid_t: 4,
  depot_stack_handle_t: 4,
} as const;

export type CType = keyof typeof C_TYPE_SIZES;

/** One struct member: `type name[count]` (count 1 unless an array). */
export interface CMember {
  readonly name: string;
  readonly type: CType;
  /** Array length; 1 for a scalar. @defaultValue 1 */
  readonly count?: number;
}

export interface CLayout {
  /** sizeof(struct ...), including tail padding. */
  readonly size: number;
  /** __alignof__ of the struct (largest member alignment). */
  readonly align: number;
  /** offsetof() of each member. */
  readonly offsets: Readonly<Record<string, number>>;
}

/**
 * sizeof/offsetof of a C struct as gcc lays it out on x86-64: each member aligned to its own size,
 * the struct size rounded up to the largest alignment.
 * @throws MmError BAD_CONFIG on a duplicate member name or a bad count.
 */
export function cStructLayout(members: readonly CMember[]): CLayout {
  let off = 0;
  let align = 1;
  const offsets: Record<string, number> = {};
  for (const m of members) {
    const count = m.count ?? 1;
    if (!Number.isInteger(count) || count < 1) throw new MmError("BAD_CONFIG", `member ${m.name}: bad count ${count}`);
    if (m.name in offsets) throw new MmError("BAD_CONFIG", `duplicate member ${m.name}`);
    const a = C_TYPE_SIZES[m.type];
    off = (off + a - 1) & ~(a - 1);
    offsets[m.name] = off;
    off += a * count;
    if (a > align) align = a;
  }
  return { size: (off + align - 1) & ~(align - 1), align, offsets };
}

/** `sizeof(struct page_ext)` since 4.8: one `unsigned long flags`. */
export const PAGE_EXT_FLAGS_BYTES = 8;

/** page_owner's record layouts, by kernel era. */
export type PageOwnerEra = "v4.6" | "v4.7" | "6.1" | "6.10";

export interface PageOwnerEraProfile {
  readonly era: PageOwnerEra;
  /** What the era's source looks like, for docs and reports. */
  readonly description: string;
  /**
   * The C members. For v4.6/v4.7 these are the whole `struct page_ext` (flags first, page_owner's
   * fields compiled into it); from 4.8 on they are `struct page_owner`, placed after the flags word.
   */
  readonly members: readonly CMember[];
  /** True when `members` include the flags word (the record lived inside struct page_ext). */
  readonly inlineInPageExt: boolean;
  /** Stack storage: 8 raw return addresses in the record (pre-4.7) or a stackdepot handle. */
  readonly storage: "inline8" | "depot";
}

/** The four profiles the seeds and the fixture pin down (kernel-spec §2.5, §4.2, §4.10). */
/** struct page_owner of 6.1, member by member (mm/page_owner.c). */
const OWNER_6_1_MEMBERS = [
  { name: "order", type: "unsigned short" },
  { name: "last_migrate_reason", type: "short" },
  { name: "gfp_mask", type: "gfp_t" },
  { name: "handle", type: "depot_stack_handle_t" },
  { name: "free_handle", type: "depot_stack_handle_t" },
  { name: "ts_nsec", type: "u64" },
  { name: "free_ts_nsec", type: "u64" },
  { name: "comm", type: "char", count: 16 },
  { name: "pid", type: "pid_t" },
  { name: "tgid", type: "pid_t" },
] as const;

export const PAGE_OWNER_ERAS: Readonly<Record<PageOwnerEra, PageOwnerEraProfile>> = {
  "v4.6": {
    era: "v4.6",
    description: "struct page_ext with 8 inline return addresses (before stackdepot, seed 000)",
    inlineInPageExt: true,
    storage: "inline8",
    members: [
      { name: "flags", type: "unsigned long" },
      { name: "order", type: "unsigned int" },
      { name: "gfp_mask", type: "gfp_t" },
      { name: "nr_entries", type: "unsigned int" },
      { name: "last_migrate_reason", type: "int" },
      { name: "trace_entries", type: "unsigned long", count: 8 },
    ],
  },
  "v4.7": {
    era: "v4.7",
    description: "struct page_ext with a stackdepot handle (Joonsoo Kim's patch, seed 000)",
    inlineInPageExt: true,
    storage: "depot",
    members: [
      { name: "flags", type: "unsigned long" },
      { name: "order", type: "unsigned int" },
      { name: "gfp_mask", type: "gfp_t" },
      { name: "last_migrate_reason", type: "int" },
      { name: "handle", type: "depot_stack_handle_t" },
    ],
  },
  "6.1": {
    era: "6.1",
    description: "struct page_owner of 6.1 (free_handle, timestamps, comm, pid, tgid)",
    inlineInPageExt: false,
    storage: "depot",
    members: OWNER_6_1_MEMBERS,
  },
  "6.10": {
    era: "6.10",
    description: "struct page_owner of 6.10+ (adds free_pid, free_tgid)",
    inlineInPageExt: false,
    storage: "depot",
    // 6.10 appended free_pid and free_tgid to the 6.1 struct.
    members: [
      ...OWNER_6_1_MEMBERS,
      { name: "free_pid", type: "pid_t" },
      { name: "free_tgid", type: "pid_t" },
    ],
  },
};

/**
 * Bytes page_owner adds to each page_ext entry on top of the shared flags word: the `size` its
 * page_ext client declares (for the inline eras: sizeof(struct page_ext) minus the flags word).
 */
export function pageOwnerClientSize(era: PageOwnerEra): number {
  const p = PAGE_OWNER_ERAS[era];
  const size = cStructLayout(p.members).size;
  return p.inlineInPageExt ? size - PAGE_EXT_FLAGS_BYTES : size;
}

/** page_ext bytes per page with page_owner on (flags word + record): 88, 24, 64, 72. */
export function pageOwnerPageExtBytes(era: PageOwnerEra): number {
  return PAGE_EXT_FLAGS_BYTES + pageOwnerClientSize(era);
}
