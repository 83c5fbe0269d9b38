/**
 * depot_alloc_stack() of the 2016 records (v4.6 .. v6.1): carve ALIGN(24 + 8n, 16) bytes from
 * the current slab, every record persistent.
 * @see lib/stackdepot.c depot_alloc_stack (v4.6 .. v6.2)
 */
import { encodeUnchecked } from "./handle.js";
import { initStackSlab, nextSlabIfFull } from "./pools.js";
import { OLD_HANDLE, OLD_HEADER_BYTES } from "./record-layout.js";
import { EMPTY, align16, markStart, writeRecord, type DepotState } from "./state.js";

/** Store `buf[0..n)`; a record ref, or 0 when no slab is available or the cap is reached. */
export function allocStack2016(s: DepotState, buf: Uint32Array, n: number, hash: number): number {
  const required = align16(OLD_HEADER_BYTES + 8 * n);
  if (!nextSlabIfFull(s, required)) return 0;
  initStackSlab(s);
  const pool = s.pools[s.depotIndex];
  if (pool === undefined || pool === EMPTY) return 0;
  const unit = s.depotOffset >>> 4;
  const ref = writeRecord(s, s.depotIndex, unit, buf, n, hash);
  pool[(unit << 2) + OLD_HANDLE] = encodeUnchecked(s.layout, s.depotIndex, unit, 0);
  markStart(s, s.depotIndex, unit, false);
  s.depotOffset += required;
  s.persistentCount++;
  s.persistentBytes += required;
  return ref;
}
