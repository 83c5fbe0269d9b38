/**
 * depot_alloc_stack() of the 6.8 records (v6.7, current): evictable (GET) records are full-size
 * and come from the freelist first; persistent ones are ALIGN(32 + 8n, 16) carved from the pool.
 * @see lib/stackdepot.c depot_alloc_stack, depot_stack_record_size (6.8+)
 */
import { REFCOUNT_SATURATED, STACK_DEPOT_FLAG_GET } from "./api.js";
import { depotPopFree } from "./freelist.js";
import { depotPopFreePool } from "./pools.js";
import { NEW_COUNT, NEW_HEADER_BYTES } from "./record-layout.js";
import { align16, markStart, writeRecord, type DepotState } from "./state.js";

// Module-local copies: under a module runner (vitest) every read of an imported binding is a
// getter call, which costs more than the work on these paths.
const popFree = depotPopFree;
const popFreePool = depotPopFreePool;
const mark = markStart;
const write = writeRecord;
const COUNT = NEW_COUNT;
const HEADER = NEW_HEADER_BYTES;
const GET = STACK_DEPOT_FLAG_GET;
const SATURATED = REFCOUNT_SATURATED;
const a16 = align16;

/** Store `buf[0..count)` (truncated to maxFrames); a record ref, or 0. */
export function allocStack68(s: DepotState, buf: Uint32Array, count: number, hash: number, flags: number): number {
  // Limit number of saved frames to CONFIG_STACKDEPOT_MAX_FRAMES (the hash was taken before).
  const n = count > s.maxFrames ? s.maxFrames : count;
  const get = (flags & GET) !== 0;
  const size = get ? s.fullRecordBytes : a16(HEADER + 8 * n);
  let ref = get ? popFree(s) : 0;
  if (ref === 0) {
    ref = popFreePool(s, size);
    if (ref === 0) return 0;
    const r = ref - 1;
    mark(s, r >>> 10, r & 1023, get);
  }
  const r = ref - 1;
  write(s, r >>> 10, r & 1023, buf, n, hash);
  const pool = s.pools[r >>> 10];
  const base = (r & 1023) << 2;
  if (get) {
    pool[base + COUNT] = 1;
    s.refdAllocs++;
    s.refdInUse++;
  } else {
    pool[base + COUNT] = SATURATED;
    s.persistentCount++;
    s.persistentBytes += size;
  }
  return ref;
}
