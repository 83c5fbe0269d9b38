/**
 * `0x%x(%pGg)` as kernels of the reporters' era printed it. The model works with today's gfp bits
 * (@mm/api); warn_alloc's stall line (4.9–4.14) and kmallocwd (v6 on 4.9-rc, v8 on 4.11-rc) ran on
 * kernels whose ___GFP_* values and __def_gfpflag_names differed, so a byte-true line translates
 * the bits first. Tables reconstructed from include/linux/gfp.h and include/trace/events/mmflags.h
 * of v4.9 and v4.14; they reproduce every mask of the era quoted in kernel-spec.md and the
 * kmallocwd documentation (0x2400000(GFP_NOIO), 0x24201ca(GFP_HIGHUSER_MOVABLE|__GFP_COLD)).
 */
import {
  type FlagName,
  formatFlagNames,
  formatGfpMask,
  type Gfp,
  __GFP_ACCOUNT,
  __GFP_ATOMIC,
  __GFP_COMP,
  __GFP_DIRECT_RECLAIM,
  __GFP_DMA,
  __GFP_DMA32,
  __GFP_FS,
  __GFP_HARDWALL,
  __GFP_HIGH,
  __GFP_HIGHMEM,
  __GFP_IO,
  __GFP_KSWAPD_RECLAIM,
  __GFP_MEMALLOC,
  __GFP_MOVABLE,
  __GFP_NOFAIL,
  __GFP_NOMEMALLOC,
  __GFP_NORETRY,
  __GFP_NOWARN,
  __GFP_RECLAIMABLE,
  __GFP_RETRY_MAYFAIL,
  __GFP_THISNODE,
  __GFP_WRITE,
  __GFP_ZERO,
} from "@mm/api";

/** Which kernel's gfp numbering and `%pGg` table a reporter prints with. */
export type PrintEra = "4.9" | "4.14" | "6.1" | "current";

/** ___GFP_* of one legacy era. */
interface LegacyBits {
  readonly DMA: number;
  readonly HIGHMEM: number;
  readonly DMA32: number;
  readonly MOVABLE: number;
  readonly RECLAIMABLE: number;
  readonly HIGH: number;
  readonly IO: number;
  readonly FS: number;
  readonly COLD: number;
  readonly NOWARN: number;
  /** __GFP_REPEAT in 4.9, __GFP_RETRY_MAYFAIL from 4.13. */
  readonly RETRY: number;
  readonly NOFAIL: number;
  readonly NORETRY: number;
  readonly MEMALLOC: number;
  readonly COMP: number;
  readonly ZERO: number;
  readonly NOMEMALLOC: number;
  readonly HARDWALL: number;
  readonly THISNODE: number;
  readonly ATOMIC: number;
  readonly ACCOUNT: number;
  readonly NOTRACK: number;
  readonly DIRECT_RECLAIM: number;
  /** 0 when the era has no such bit. */
  readonly OTHER_NODE: number;
  readonly WRITE: number;
  readonly KSWAPD_RECLAIM: number;
}

const COMMON = {
  DMA: 0x01,
  HIGHMEM: 0x02,
  DMA32: 0x04,
  MOVABLE: 0x08,
  RECLAIMABLE: 0x10,
  HIGH: 0x20,
  IO: 0x40,
  FS: 0x80,
  COLD: 0x100,
  NOWARN: 0x200,
  RETRY: 0x400,
  NOFAIL: 0x800,
  NORETRY: 0x1000,
  MEMALLOC: 0x2000,
  COMP: 0x4000,
  ZERO: 0x8000,
  NOMEMALLOC: 0x10000,
  HARDWALL: 0x20000,
  THISNODE: 0x40000,
  ATOMIC: 0x80000,
  ACCOUNT: 0x100000,
  NOTRACK: 0x200000,
  DIRECT_RECLAIM: 0x400000,
} as const;

/** v4.9: ___GFP_OTHER_NODE still at 0x800000, so WRITE and KSWAPD_RECLAIM sit one bit higher. */
const BITS_4_9: LegacyBits = { ...COMMON, OTHER_NODE: 0x800000, WRITE: 0x1000000, KSWAPD_RECLAIM: 0x2000000 };
/** v4.10–v4.14: ___GFP_OTHER_NODE removed (4.10). */
const BITS_4_14: LegacyBits = { ...COMMON, OTHER_NODE: 0, WRITE: 0x800000, KSWAPD_RECLAIM: 0x1000000 };

/** Modern bit -> legacy bit; bits without a legacy counterpart (__GFP_ZEROTAGS) are dropped. */
function translate(gfp: Gfp, b: LegacyBits): number {
  let out = gfp & (__GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32 | __GFP_MOVABLE | __GFP_RECLAIMABLE | __GFP_HIGH | __GFP_IO | __GFP_FS);
  const map: readonly (readonly [number, number])[] = [
    [__GFP_ZERO, b.ZERO],
    [__GFP_ATOMIC, b.ATOMIC],
    [__GFP_DIRECT_RECLAIM, b.DIRECT_RECLAIM],
    [__GFP_KSWAPD_RECLAIM, b.KSWAPD_RECLAIM],
    [__GFP_WRITE, b.WRITE],
    [__GFP_NOWARN, b.NOWARN],
    [__GFP_RETRY_MAYFAIL, b.RETRY],
    [__GFP_NOFAIL, b.NOFAIL],
    [__GFP_NORETRY, b.NORETRY],
    [__GFP_MEMALLOC, b.MEMALLOC],
    [__GFP_COMP, b.COMP],
    [__GFP_NOMEMALLOC, b.NOMEMALLOC],
    [__GFP_HARDWALL, b.HARDWALL],
    [__GFP_THISNODE, b.THISNODE],
    [__GFP_ACCOUNT, b.ACCOUNT],
  ];
  for (const [modern, legacy] of map) if (gfp & modern) out |= legacy;
  return out >>> 0;
}

/** __def_gfpflag_names of a legacy era, built from its bit values. */
function legacyNames(b: LegacyBits, era: "4.9" | "4.14"): FlagName[] {
  const RECLAIM = b.DIRECT_RECLAIM | b.KSWAPD_RECLAIM;
  const KERNEL = RECLAIM | b.IO | b.FS;
  const USER = KERNEL | b.HARDWALL;
  const HIGHUSER = USER | b.HIGHMEM;
  const HIGHUSER_MOVABLE = HIGHUSER | b.MOVABLE;
  const TRANSHUGE_LIGHT = (HIGHUSER_MOVABLE | b.COMP | b.NOMEMALLOC | b.NOWARN) & ~RECLAIM;
  const rows: FlagName[] = [
    { mask: TRANSHUGE_LIGHT | b.DIRECT_RECLAIM, name: "GFP_TRANSHUGE" },
    { mask: TRANSHUGE_LIGHT, name: "GFP_TRANSHUGE_LIGHT" },
    { mask: HIGHUSER_MOVABLE, name: "GFP_HIGHUSER_MOVABLE" },
    { mask: HIGHUSER, name: "GFP_HIGHUSER" },
    { mask: USER, name: "GFP_USER" },
    // GFP_TEMPORARY existed until 4.14-rc1 removed it tree-wide.
    ...(era === "4.9" ? [{ mask: KERNEL | b.RECLAIMABLE, name: "GFP_TEMPORARY" }] : []),
    { mask: KERNEL | b.ACCOUNT, name: "GFP_KERNEL_ACCOUNT" },
    { mask: KERNEL, name: "GFP_KERNEL" },
    { mask: RECLAIM | b.IO, name: "GFP_NOFS" },
    { mask: b.HIGH | b.ATOMIC | b.KSWAPD_RECLAIM, name: "GFP_ATOMIC" },
    { mask: RECLAIM, name: "GFP_NOIO" },
    { mask: b.KSWAPD_RECLAIM, name: "GFP_NOWAIT" },
    { mask: b.DMA, name: "GFP_DMA" },
    { mask: b.HIGHMEM, name: "__GFP_HIGHMEM" },
    { mask: b.DMA32, name: "GFP_DMA32" },
    { mask: b.HIGH, name: "__GFP_HIGH" },
    { mask: b.ATOMIC, name: "__GFP_ATOMIC" },
    { mask: b.IO, name: "__GFP_IO" },
    { mask: b.FS, name: "__GFP_FS" },
    { mask: b.COLD, name: "__GFP_COLD" },
    { mask: b.NOWARN, name: "__GFP_NOWARN" },
    { mask: b.RETRY, name: era === "4.9" ? "__GFP_REPEAT" : "__GFP_RETRY_MAYFAIL" },
    { mask: b.NOFAIL, name: "__GFP_NOFAIL" },
    { mask: b.NORETRY, name: "__GFP_NORETRY" },
    { mask: b.COMP, name: "__GFP_COMP" },
    { mask: b.ZERO, name: "__GFP_ZERO" },
    { mask: b.NOMEMALLOC, name: "__GFP_NOMEMALLOC" },
    { mask: b.MEMALLOC, name: "__GFP_MEMALLOC" },
    { mask: b.HARDWALL, name: "__GFP_HARDWALL" },
    { mask: b.THISNODE, name: "__GFP_THISNODE" },
    { mask: b.RECLAIMABLE, name: "__GFP_RECLAIMABLE" },
    { mask: b.MOVABLE, name: "__GFP_MOVABLE" },
    { mask: b.ACCOUNT, name: "__GFP_ACCOUNT" },
    { mask: b.NOTRACK, name: "__GFP_NOTRACK" },
    { mask: b.WRITE, name: "__GFP_WRITE" },
    { mask: RECLAIM, name: "__GFP_RECLAIM" },
    { mask: b.DIRECT_RECLAIM, name: "__GFP_DIRECT_RECLAIM" },
    { mask: b.KSWAPD_RECLAIM, name: "__GFP_KSWAPD_RECLAIM" },
  ];
  if (b.OTHER_NODE !== 0) rows.push({ mask: b.OTHER_NODE, name: "__GFP_OTHER_NODE" });
  return rows;
}

const NAMES_4_9 = legacyNames(BITS_4_9, "4.9");
const NAMES_4_14 = legacyNames(BITS_4_14, "4.14");

/** The raw gfp word a kernel of `era` would hold for the model's (modern) gfp. */
export function eraGfpValue(gfp: Gfp, era: PrintEra): number {
  if (era === "4.9") return translate(gfp, BITS_4_9);
  if (era === "4.14") return translate(gfp, BITS_4_14);
  return gfp >>> 0;
}

/** `0x%x(%pGg)` of `era`, e.g. `0x14000c0(GFP_KERNEL)` for 4.14, `0xcc0(GFP_KERNEL)` for 6.1. */
export function formatEraGfpMask(gfp: Gfp, era: PrintEra): string {
  if (era === "6.1" || era === "current") return formatGfpMask(gfp, era);
  const v = eraGfpValue(gfp, era);
  return `0x${v.toString(16)}(${formatFlagNames(v, era === "4.9" ? NAMES_4_9 : NAMES_4_14)})`;
}
