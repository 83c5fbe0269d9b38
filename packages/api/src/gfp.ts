/**
 * GFP flag bits with the x86-64 values of include/linux/gfp_types.h (gfp.h before 6.2), and the
 * names `%pGg` prints (include/trace/events/mmflags.h, __def_gfpflag_names).
 *
 * Bit values are identical from 4.13 to today except `___GFP_ATOMIC` (0x200), which existed until
 * 6.3 and is part of GFP_ATOMIC in the 6.1 era. The print tables differ between eras; both are here.
 */
export type Gfp = number;

export const __GFP_DMA = 0x01;
export const __GFP_HIGHMEM = 0x02;
export const __GFP_DMA32 = 0x04;
export const __GFP_MOVABLE = 0x08;
export const __GFP_RECLAIMABLE = 0x10;
export const __GFP_HIGH = 0x20;
export const __GFP_IO = 0x40;
export const __GFP_FS = 0x80;
export const __GFP_ZERO = 0x100;
/** Removed in 6.3 (the bit became unused); only meaningful in the 6.1 era. */
export const __GFP_ATOMIC = 0x200;
export const __GFP_DIRECT_RECLAIM = 0x400;
export const __GFP_KSWAPD_RECLAIM = 0x800;
export const __GFP_WRITE = 0x1000;
export const __GFP_NOWARN = 0x2000;
export const __GFP_RETRY_MAYFAIL = 0x4000;
export const __GFP_NOFAIL = 0x8000;
export const __GFP_NORETRY = 0x10000;
export const __GFP_MEMALLOC = 0x20000;
export const __GFP_COMP = 0x40000;
export const __GFP_NOMEMALLOC = 0x80000;
export const __GFP_HARDWALL = 0x100000;
export const __GFP_THISNODE = 0x200000;
export const __GFP_ACCOUNT = 0x400000;
export const __GFP_ZEROTAGS = 0x800000;

export const __GFP_RECLAIM = __GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM;
export const GFP_ZONEMASK = __GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32 | __GFP_MOVABLE;
export const GFP_MOVABLE_MASK = __GFP_RECLAIMABLE | __GFP_MOVABLE;
export const GFP_MOVABLE_SHIFT = 3;

export const GFP_KERNEL = __GFP_RECLAIM | __GFP_IO | __GFP_FS; // 0xcc0
export const GFP_KERNEL_ACCOUNT = GFP_KERNEL | __GFP_ACCOUNT;
export const GFP_NOWAIT = __GFP_KSWAPD_RECLAIM;
export const GFP_NOIO = __GFP_RECLAIM;
export const GFP_NOFS = __GFP_RECLAIM | __GFP_IO;
export const GFP_USER = GFP_KERNEL | __GFP_HARDWALL;
export const GFP_DMA = __GFP_DMA;
export const GFP_DMA32 = __GFP_DMA32;
export const GFP_HIGHUSER = GFP_USER | __GFP_HIGHMEM;
export const GFP_HIGHUSER_MOVABLE = GFP_HIGHUSER | __GFP_MOVABLE;
export const GFP_TRANSHUGE_LIGHT =
  (GFP_HIGHUSER_MOVABLE | __GFP_COMP | __GFP_NOMEMALLOC | __GFP_NOWARN) & ~__GFP_RECLAIM;
export const GFP_TRANSHUGE = GFP_TRANSHUGE_LIGHT | __GFP_DIRECT_RECLAIM;
/** GFP_ATOMIC of 6.3+ (0x820). */
export const GFP_ATOMIC = __GFP_HIGH | __GFP_KSWAPD_RECLAIM;
/** GFP_ATOMIC of the 6.1 era (0xa20), with __GFP_ATOMIC. */
export const GFP_ATOMIC_6_1 = __GFP_HIGH | __GFP_ATOMIC | __GFP_KSWAPD_RECLAIM;

/** Which kernel's `%pGg` table to print with. */
export type GfpEra = "6.1" | "current";

/** One row of a `%pGg` table: printed when `(gfp & mask) === mask`, then those bits are cleared. */
export interface FlagName {
  readonly mask: number;
  readonly name: string;
}

/** __def_gfpflag_names of v6.1 (include/trace/events/mmflags.h), in print order. */
export const GFP_NAMES_6_1: readonly FlagName[] = [
  { mask: GFP_TRANSHUGE, name: "GFP_TRANSHUGE" },
  { mask: GFP_TRANSHUGE_LIGHT, name: "GFP_TRANSHUGE_LIGHT" },
  { mask: GFP_HIGHUSER_MOVABLE, name: "GFP_HIGHUSER_MOVABLE" },
  { mask: GFP_HIGHUSER, name: "GFP_HIGHUSER" },
  { mask: GFP_USER, name: "GFP_USER" },
  { mask: GFP_KERNEL_ACCOUNT, name: "GFP_KERNEL_ACCOUNT" },
  { mask: GFP_KERNEL, name: "GFP_KERNEL" },
  { mask: GFP_NOFS, name: "GFP_NOFS" },
  { mask: GFP_ATOMIC_6_1, name: "GFP_ATOMIC" },
  { mask: GFP_NOIO, name: "GFP_NOIO" },
  { mask: GFP_NOWAIT, name: "GFP_NOWAIT" },
  { mask: GFP_DMA, name: "GFP_DMA" },
  { mask: __GFP_HIGHMEM, name: "__GFP_HIGHMEM" },
  { mask: GFP_DMA32, name: "GFP_DMA32" },
  { mask: __GFP_HIGH, name: "__GFP_HIGH" },
  { mask: __GFP_ATOMIC, name: "__GFP_ATOMIC" },
  { mask: __GFP_IO, name: "__GFP_IO" },
  { mask: __GFP_FS, name: "__GFP_FS" },
  { mask: __GFP_NOWARN, name: "__GFP_NOWARN" },
  { mask: __GFP_RETRY_MAYFAIL, name: "__GFP_RETRY_MAYFAIL" },
  { mask: __GFP_NOFAIL, name: "__GFP_NOFAIL" },
  { mask: __GFP_NORETRY, name: "__GFP_NORETRY" },
  { mask: __GFP_COMP, name: "__GFP_COMP" },
  { mask: __GFP_ZERO, name: "__GFP_ZERO" },
  { mask: __GFP_NOMEMALLOC, name: "__GFP_NOMEMALLOC" },
  { mask: __GFP_MEMALLOC, name: "__GFP_MEMALLOC" },
  { mask: __GFP_HARDWALL, name: "__GFP_HARDWALL" },
  { mask: __GFP_THISNODE, name: "__GFP_THISNODE" },
  { mask: __GFP_RECLAIMABLE, name: "__GFP_RECLAIMABLE" },
  { mask: __GFP_MOVABLE, name: "__GFP_MOVABLE" },
  { mask: __GFP_ACCOUNT, name: "__GFP_ACCOUNT" },
  { mask: __GFP_WRITE, name: "__GFP_WRITE" },
  { mask: __GFP_RECLAIM, name: "__GFP_RECLAIM" },
  { mask: __GFP_DIRECT_RECLAIM, name: "__GFP_DIRECT_RECLAIM" },
  { mask: __GFP_KSWAPD_RECLAIM, name: "__GFP_KSWAPD_RECLAIM" },
  { mask: __GFP_ZEROTAGS, name: "__GFP_ZEROTAGS" },
];

/** __def_gfpflag_names of 6.10+ (composites, then every bit in bit order). */
export const GFP_NAMES_CURRENT: readonly FlagName[] = [
  { mask: GFP_TRANSHUGE, name: "GFP_TRANSHUGE" },
  { mask: GFP_TRANSHUGE_LIGHT, name: "GFP_TRANSHUGE_LIGHT" },
  { mask: GFP_HIGHUSER_MOVABLE, name: "GFP_HIGHUSER_MOVABLE" },
  { mask: GFP_HIGHUSER, name: "GFP_HIGHUSER" },
  { mask: GFP_USER, name: "GFP_USER" },
  { mask: GFP_KERNEL_ACCOUNT, name: "GFP_KERNEL_ACCOUNT" },
  { mask: GFP_KERNEL, name: "GFP_KERNEL" },
  { mask: GFP_NOFS, name: "GFP_NOFS" },
  { mask: GFP_ATOMIC, name: "GFP_ATOMIC" },
  { mask: GFP_NOIO, name: "GFP_NOIO" },
  { mask: GFP_NOWAIT, name: "GFP_NOWAIT" },
  { mask: GFP_DMA, name: "GFP_DMA" },
  { mask: GFP_DMA32, name: "GFP_DMA32" },
  { mask: __GFP_RECLAIM, name: "__GFP_RECLAIM" },
  { mask: __GFP_DMA, name: "__GFP_DMA" },
  { mask: __GFP_HIGHMEM, name: "__GFP_HIGHMEM" },
  { mask: __GFP_DMA32, name: "__GFP_DMA32" },
  { mask: __GFP_MOVABLE, name: "__GFP_MOVABLE" },
  { mask: __GFP_RECLAIMABLE, name: "__GFP_RECLAIMABLE" },
  { mask: __GFP_HIGH, name: "__GFP_HIGH" },
  { mask: __GFP_IO, name: "__GFP_IO" },
  { mask: __GFP_FS, name: "__GFP_FS" },
  { mask: __GFP_ZERO, name: "__GFP_ZERO" },
  { mask: __GFP_DIRECT_RECLAIM, name: "__GFP_DIRECT_RECLAIM" },
  { mask: __GFP_KSWAPD_RECLAIM, name: "__GFP_KSWAPD_RECLAIM" },
  { mask: __GFP_WRITE, name: "__GFP_WRITE" },
  { mask: __GFP_NOWARN, name: "__GFP_NOWARN" },
  { mask: __GFP_RETRY_MAYFAIL, name: "__GFP_RETRY_MAYFAIL" },
  { mask: __GFP_NOFAIL, name: "__GFP_NOFAIL" },
  { mask: __GFP_NORETRY, name: "__GFP_NORETRY" },
  { mask: __GFP_MEMALLOC, name: "__GFP_MEMALLOC" },
  { mask: __GFP_COMP, name: "__GFP_COMP" },
  { mask: __GFP_NOMEMALLOC, name: "__GFP_NOMEMALLOC" },
  { mask: __GFP_HARDWALL, name: "__GFP_HARDWALL" },
  { mask: __GFP_THISNODE, name: "__GFP_THISNODE" },
  { mask: __GFP_ACCOUNT, name: "__GFP_ACCOUNT" },
  { mask: __GFP_ZEROTAGS, name: "__GFP_ZEROTAGS" },
];

export const GFP_NAMES: Readonly<Record<GfpEra, readonly FlagName[]>> = {
  "6.1": GFP_NAMES_6_1,
  current: GFP_NAMES_CURRENT,
};

/**
 * The kernel's `__print_flags`/`format_flags` walk: names whose whole mask is set, in table order,
 * joined by `|`; leftover bits as `0x%lx`. Returns "" for 0 (the `%pGg` of `mask 0x0()`).
 */
export function formatFlagNames(value: number, table: readonly FlagName[]): string {
  let rest = value >>> 0;
  let out = "";
  for (const { mask, name } of table) {
    if (rest === 0) break;
    if (mask !== 0 && ((rest & mask) >>> 0) === mask >>> 0) {
      out += out === "" ? name : `|${name}`;
      rest = (rest & ~mask) >>> 0;
    }
  }
  if (rest !== 0) out += `${out === "" ? "" : "|"}0x${rest.toString(16)}`;
  return out;
}

/** `%pGg`: the symbolic gfp mask, e.g. `GFP_KERNEL|__GFP_NOWARN`. */
export function formatGfp(gfp: Gfp, era: GfpEra = "6.1"): string {
  return formatFlagNames(gfp, GFP_NAMES[era]);
}

/** `%#x(%pGg)` as page_owner and warn_alloc print it: `0xcc0(GFP_KERNEL)`, `0x0()`. */
export function formatGfpMask(gfp: Gfp, era: GfpEra = "6.1"): string {
  return `0x${(gfp >>> 0).toString(16)}(${formatGfp(gfp, era)})`;
}
