/**
 * What the depot reports: pools in use and the spare, `/sys/kernel/debug/stackdepot/stats`,
 * kernel and JS memory, and a digest of every bit of state. Free functions over a read-only view.
 * @see lib/stackdepot.c stats_show (6.8+), counters[]
 */
import { DEPOT_POOL_SIZE, STACK_DEPOT_FLAG_CAN_ALLOC, STACK_DEPOT_FLAG_GET, type DepotStats } from "./api.js";
import { jhash2 } from "./jhash.js";
import { NEW_HEADER_BYTES, OLD_HEADER_BYTES } from "./record-layout.js";
import { EMPTY, align16, type DepotState } from "./state.js";

/** The depot state as the reporting rooms see it. */
export type DepotView = Readonly<DepotState>;

/** Pools in use (pools_num; in the 2016 code, installed slabs up to depot_index). */
export function poolsInUse(s: DepotView): number {
  if (s.newRec) return s.poolsNum;
  const cur = s.pools[s.depotIndex];
  return cur === undefined || cur === EMPTY ? s.depotIndex : s.depotIndex + 1;
}

/** 1 if a preallocated spare pool is held (new_pool, or the 2016 stack_slabs[depot_index + 1]). */
export function spareHeld(s: DepotView): number {
  if (s.newRec) return s.newPool >= 0 ? 1 : 0;
  const next = s.pools[s.depotIndex + 1];
  return next === undefined || next === EMPTY ? 0 : 1;
}

/** Counters and memory. */
export function depotStats(s: DepotView): DepotStats {
  const pools = poolsInUse(s);
  const spare = spareHeld(s);
  const tableBytes = s.buckets * s.profile.bucketBytes;
  let poolWords = 0;
  for (const p of s.pools) poolWords += p.length;
  let scratch = 0;
  for (const b of s.scratch) scratch += b.byteLength;
  return {
    pools,
    sparePools: spare,
    refcountedAllocations: s.refdAllocs,
    refcountedFrees: s.refdFrees,
    refcountedInUse: s.refdInUse,
    freelistSize: s.freelistSize,
    persistentCount: s.persistentCount,
    persistentBytes: s.persistentBytes,
    uniqueStacks: s.persistentCount + s.refdInUse,
    buckets: s.buckets,
    tableBytes,
    poolBytes: pools * DEPOT_POOL_SIZE,
    spareBytes: spare * DEPOT_POOL_SIZE,
    totalBytes: (pools + spare) * DEPOT_POOL_SIZE + tableBytes,
    jsBytes: s.heads.byteLength + poolWords * 4 + s.meta.byteLength + scratch,
    sourceAllocs: s.sourceAllocs,
    sourceFrees: s.sourceFrees,
    sourceFailures: s.sourceFailures,
  };
}

/** `/sys/kernel/debug/stackdepot/stats` (6.8+ names), byte-exact. */
export function statsText(s: DepotView): string {
  return (
    `pools: ${poolsInUse(s)}\n` +
    `refcounted_allocations: ${s.refdAllocs}\n` +
    `refcounted_frees: ${s.refdFrees}\n` +
    `refcounted_in_use: ${s.refdInUse}\n` +
    `freelist_size: ${s.freelistSize}\n` +
    `persistent_count: ${s.persistentCount}\n` +
    `persistent_bytes: ${s.persistentBytes}\n`
  );
}

/** Kernel bytes of a record holding `n` frames saved with `flags`. */
export function recordBytes(s: DepotView, n: number, flags: number = STACK_DEPOT_FLAG_CAN_ALLOC): number {
  if (!s.newRec) return align16(OLD_HEADER_BYTES + 8 * n);
  if ((flags & STACK_DEPOT_FLAG_GET) !== 0) return s.fullRecordBytes;
  return align16(NEW_HEADER_BYTES + 8 * Math.min(n, s.maxFrames));
}

/** The pfns of the pools in use and of the spare. */
export function poolPfns(s: DepotView): { readonly pools: readonly number[]; readonly spare: number } {
  const inUse = poolsInUse(s);
  let spare = -1;
  if (s.newRec) spare = s.newPool >= 0 ? s.newPool : -1;
  else if (spareHeld(s) === 1) spare = s.pfns[s.depotIndex + 1];
  const pools: number[] = [];
  for (let i = 0; i < inUse; i++) pools.push(s.pfns[i]);
  return { pools, spare };
}

/** A digest of every bit of state; equal digests mean byte-identical state. */
export function stateDigest(s: DepotView): string {
  const parts: (string | number)[] = [
    s.poolsNum,
    s.poolOffset,
    s.newPool,
    s.depotIndex,
    s.depotOffset,
    s.nextSlabInited ? 1 : 0,
    s.freeHead,
    s.freeTail,
    s.refdAllocs,
    s.refdFrees,
    s.refdInUse,
    s.freelistSize,
    s.persistentCount,
    s.persistentBytes,
    s.sourceAllocs,
    s.sourceFrees,
    s.sourceFailures,
    s.warned,
    jhash2(s.heads, 0, s.heads.length, 1),
    jhash2(s.meta, 0, s.meta.length, 2),
    s.pfns.join(","),
  ];
  for (const p of s.pools) parts.push(p === EMPTY ? "-" : jhash2(p, 0, p.length, 3));
  return parts.join("|");
}
