/**
 * `union handle_parts` of every era: encode, decode, extra bits.
 * @see lib/stackdepot.c union handle_parts, stack_depot_set_extra_bits, stack_depot_get_extra_bits
 */
import { MmError } from "@mm/api";
import { DEPOT_STACK_ALIGN, type DepotEra, type DepotHandle, type HandleLayout, type HandleParts } from "./api.js";
import { ERA_PROFILES } from "./era.js";

/** The handle layout of an era. */
export function handleLayout(era: DepotEra): HandleLayout {
  const p = ERA_PROFILES[era] as (typeof ERA_PROFILES)[DepotEra] | undefined;
  if (p === undefined) throw new MmError("BAD_CONFIG", `unknown stackdepot era ${String(era)}`);
  return p.layout;
}

/** How many pools the index field can address (2^bits, minus one when it stores index + 1). */
export function layoutMaxPools(layout: HandleLayout): number {
  return 2 ** layout.indexBits - (layout.indexPlusOne ? 1 : 0);
}

/**
 * Build a handle from a pool index, a byte offset (multiple of 16) and extra bits; the valid bit
 * is set where the layout has one. Throws EINVAL on out-of-range fields.
 */
export function encodeHandle(layout: HandleLayout, poolIndex: number, offset: number, extra = 0): DepotHandle {
  const unit = offset >>> DEPOT_STACK_ALIGN;
  if (!Number.isInteger(poolIndex) || poolIndex < 0 || poolIndex >= layoutMaxPools(layout))
    throw new MmError("EINVAL", `pool index ${poolIndex} does not fit the handle`, { poolIndex });
  if (!Number.isInteger(offset) || offset < 0 || offset % (1 << DEPOT_STACK_ALIGN) !== 0 || unit >= 1 << layout.offsetBits)
    throw new MmError("EINVAL", `offset ${offset} is not a 16-byte aligned pool offset`, { offset });
  if (!Number.isInteger(extra) || extra < 0 || extra >= 2 ** layout.extraBits)
    throw new MmError("EINVAL", `extra bits ${extra} do not fit ${layout.extraBits} bits`, { extra });
  return encodeUnchecked(layout, poolIndex, unit, extra);
}

/** @internal Field packing without checks (unit = offset >> 4). */
export function encodeUnchecked(layout: HandleLayout, poolIndex: number, unit: number, extra: number): number {
  const idx = poolIndex + (layout.indexPlusOne ? 1 : 0);
  const offShift = layout.indexBits;
  const validShift = offShift + layout.offsetBits;
  const extraShift = validShift + layout.validBits;
  let h = idx + unit * 2 ** offShift;
  if (layout.validBits !== 0) h += 2 ** validShift;
  if (layout.extraBits !== 0) h += extra * 2 ** extraShift;
  return h >>> 0;
}

/** Split a handle into its fields (pool index already minus one for `pool_index_plus_1`). */
export function decodeHandle(layout: HandleLayout, handle: DepotHandle): HandleParts {
  const h = handle >>> 0;
  const idxField = h % 2 ** layout.indexBits;
  const rest = Math.floor(h / 2 ** layout.indexBits);
  const unit = rest & ((1 << layout.offsetBits) - 1);
  const rest2 = rest >>> layout.offsetBits;
  const valid = layout.validBits === 0 ? 0 : rest2 & 1;
  const extra = layout.extraBits === 0 ? 0 : rest2 >>> layout.validBits;
  // pool_index_plus_1 - 1 is computed in u32 in the kernel; 0 becomes 0xffffffff.
  const poolIndex = layout.indexPlusOne ? (idxField - 1) >>> 0 : idxField;
  return { poolIndex, offset: unit << DEPOT_STACK_ALIGN, valid, extra };
}

/**
 * stack_depot_set_extra_bits(): store `extraBits` (truncated to the field width, like a C
 * bitfield) in a handle; a 0 handle stays 0. Eras without the field throw EINVAL.
 */
export function setExtraBits(era: DepotEra, handle: DepotHandle, extraBits: number): DepotHandle {
  const layout = handleLayout(era);
  if (layout.extraBits === 0) throw new MmError("EINVAL", `era ${era} handles have no extra bits`);
  const h = handle >>> 0;
  if (h === 0) return 0;
  const shift = layout.indexBits + layout.offsetBits + layout.validBits;
  const low = h % 2 ** shift;
  const bits = (extraBits >>> 0) & ((1 << layout.extraBits) - 1);
  return (low + bits * 2 ** shift) >>> 0;
}

/** stack_depot_get_extra_bits(). Eras without the field throw EINVAL. */
export function getExtraBits(era: DepotEra, handle: DepotHandle): number {
  const layout = handleLayout(era);
  if (layout.extraBits === 0) throw new MmError("EINVAL", `era ${era} handles have no extra bits`);
  return decodeHandle(layout, handle).extra;
}
