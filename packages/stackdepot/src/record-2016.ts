/**
 * depot_alloc_stack() of the 2016 records (v4.6 .. v6.1): carve ALIGN(24 + 8n, 16) bytes from
 * the current slab, every record persistent.
 * @see lib/stackdepot.c depot_alloc_stack (v4.6 .. v6.2)
 */
import { encodeUnchecked } from "./handle.js";
import { initStackSlab, nextSlabIfFull } from "./pools.js";
import { OLD_HANDLE, OLD_HEADER_BYTES } from "./record-layout.js";
import { EMPTY, align16, markStart, writeRecord, type DepotState } from "./state.js";

// Module-local copies: under a module runner (vitest) every read of an imported binding is a
// getter call, which costs more than the work on these paths.
const mark = markStart;
const write = writeRecord;
const HANDLE = OLD_HANDLE;
const HEADER = OLD_HEADER_BYTES;
const encode = encodeUnchecked;
const a16 = align16;
const initSlab = initStackSlab;
const nextSlab = nextSlabIfFull;
const NONE = EMPTY;

/** Store `buf[0..n)`; a record ref, or 0 when no slab is available or the cap is reached. */
export function allocStack2016(s: DepotState, buf: Uint32Array, n: number, hash: number): number {
  const required = a16(HEADER + 8 * n);
  if (!nextSlab(s, required)) return 0;
  initSlab(s);
  const pool = s.pools[s.depotIndex];
  if (pool === undefined || pool === NONE) return 0;
  const unit = s.depotOffset >>> 4;
  const ref = write(s, s.depotIndex, unit, buf, n, hash);
  pool[(unit << 2) + HANDLE] = encode(s.layout, s.depotIndex, unit, 0);
  mark(s, s.depotIndex, unit, false);
  s.depotOffset += required;
  s.persistentCount++;
  s.persistentBytes += required;
  return ref;
}
