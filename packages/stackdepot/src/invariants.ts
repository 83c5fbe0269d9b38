/**
 * Every structural invariant of a depot, checked from a read-only view of its state. Tests of
 * this and other packages run it after every step; it throws MmError("INVARIANT").
 */
import { MmError } from "@mm/api";
import { DEPOT_POOL_SIZE } from "./api.js";
import { encodeUnchecked } from "./handle.js";
import { STACK_HASH_SEED, hashFrames } from "./jhash.js";
import { rcuCookie } from "./freelist.js";
import { NEW_COUNT, NEW_FREE_NEXT, NEW_FREE_PREV, NEW_PREV } from "./record-layout.js";
import { EMPTY, POISON, POOL_UNITS, POOL_WORDS, META_WORDS, align16, hex8 } from "./state.js";
import { poolsInUse, spareHeld, type DepotView } from "./stats.js";

/**
 * - every bucket chain record is a live record start whose hash maps to that bucket, with
 *   consistent back links (6.8), and every live record is in exactly one chain;
 * - records tile each pool contiguously with the kernel's sizes; stored handles decode to
 *   their own position; frames' upper words are the configured high word; live records' hash
 *   matches their frames;
 * - refcounts: evictable live records count >= 1, freed ones 0;
 * - the freelist holds only freed evictable records, disjoint from the chains, with
 *   non-decreasing RCU cookies, and its length is freelist_size;
 * - counters agree with the records; pool accounting agrees with the page source calls.
 */
export function checkDepotInvariants(s: DepotView): void {
  const fail = (msg: string): never => {
    throw new MmError("INVARIANT", `stackdepot: ${msg}`);
  };
  const nPools = s.pools.length;
  const inUse = poolsInUse(s);
  const spare = spareHeld(s);
  if (inUse > s.maxPools) fail(`pools ${inUse} > cap ${s.maxPools}`);
  // 0 = not a record start, 1 = live record (unvisited), 2 = visited in a chain, 3 = on freelist
  const state = new Uint8Array(nPools * POOL_UNITS);
  let live = 0;
  let liveEvict = 0;
  let livePersist = 0;
  let persistBytes = 0;
  let freed = 0;
  let installed = 0;
  for (let p = 0; p < nPools; p++) {
    const pool = s.pools[p];
    if (pool === EMPTY) continue;
    installed++;
    if (pool.length !== POOL_WORDS) fail(`pool ${p} has ${pool.length} words`);
    const isSpare = !s.newRec && p === s.depotIndex + 1;
    if (p >= inUse && !isSpare) fail(`pool ${p} installed beyond the pools in use`);
    const current = s.newRec ? p === s.poolsNum - 1 : p === s.depotIndex;
    let end = 0;
    for (let unit = 0; unit < POOL_UNITS; unit++) {
      const w = s.meta[p * META_WORDS + (unit >>> 5)];
      if ((w & (1 << (unit & 31))) === 0) continue;
      if (isSpare) fail(`spare pool ${p} holds a record`);
      if (unit << 4 !== end) fail(`pool ${p}: record at ${unit << 4} does not follow the previous end ${end}`);
      const base = unit << 2;
      const evict = (s.meta[p * META_WORDS + 32 + (unit >>> 5)] & (1 << (unit & 31))) !== 0;
      const n = pool[base + s.wSize];
      if (n < 1 || n > s.maxFrames) fail(`record ${p}:${unit} has size ${n}`);
      const size = evict ? s.fullRecordBytes : align16(s.headerBytes + 8 * n);
      end = (unit << 4) + size;
      if (end > DEPOT_POOL_SIZE) fail(`record ${p}:${unit} overruns its pool`);
      if (pool[base + s.wHandle] !== encodeUnchecked(s.layout, p, unit, 0))
        fail(`record ${p}:${unit} stores handle ${hex8(pool[base + s.wHandle])}`);
      const freedRec = s.newRec && evict && pool[base + NEW_COUNT] === 0;
      if (freedRec) {
        freed++;
        state[p * POOL_UNITS + unit] = 3;
        continue;
      }
      state[p * POOL_UNITS + unit] = 1;
      live++;
      if (evict) {
        liveEvict++;
        if ((pool[base + NEW_COUNT] | 0) < 1) fail(`evictable record ${p}:${unit} has count ${pool[base + NEW_COUNT] | 0}`);
      } else {
        livePersist++;
        persistBytes += size;
      }
      const frames = new Uint32Array(n);
      for (let i = 0; i < n; i++) {
        if (pool[base + s.wEntries + 2 * i + 1] !== s.high) fail(`record ${p}:${unit} frame ${i} upper word is not ${hex8(s.high)}`);
        frames[i] = pool[base + s.wEntries + 2 * i];
      }
      // Truncated (over-long) traces were hashed before truncation: their hash can't be rechecked.
      if (n < s.maxFrames && hashFrames(frames, n, STACK_HASH_SEED, s.high) !== pool[base + s.wHash])
        fail(`record ${p}:${unit} hash does not match its frames`);
    }
    if (current) {
      const off = s.newRec ? s.poolOffset : s.depotOffset;
      if (end !== off) fail(`current pool ${p} ends at ${end}, offset is ${off}`);
    }
  }
  // The 2016 code installs the spare in stack_slabs[depot_index + 1]; 6.8 keeps it in new_pool.
  const expectInstalled = s.newRec ? inUse : inUse + spare;
  if (installed !== expectInstalled) fail(`${installed} pools installed, ${inUse} in use + ${spare} spare`);
  // Chains.
  let visited = 0;
  for (let b = 0; b < s.heads.length; b++) {
    let ref = s.heads[b];
    let prev = 0;
    let steps = 0;
    while (ref !== 0) {
      if (++steps > live) fail(`bucket ${b} chain is longer than the live records (cycle?)`);
      const r = ref - 1;
      const p = r >>> 10;
      const unit = r & 1023;
      if (p >= nPools || state[p * POOL_UNITS + unit] !== 1)
        fail(`bucket ${b} links ref ${ref}, which is not an unvisited live record`);
      state[p * POOL_UNITS + unit] = 2;
      visited++;
      const pool = s.pools[p];
      const base = unit << 2;
      if ((pool[base + s.wHash] & s.mask) !== b) fail(`record ${p}:${unit} hashes to bucket ${pool[base + s.wHash] & s.mask}, chained in ${b}`);
      if (s.newRec && pool[base + NEW_PREV] !== prev) fail(`record ${p}:${unit} has a wrong prev link`);
      prev = ref;
      ref = pool[base];
    }
  }
  if (visited !== live) fail(`${live} live records but ${visited} reachable from buckets`);
  // Freelist.
  let fl = 0;
  let prevRef = 0;
  let prevCookie = -1;
  for (let ref = s.freeHead; ref !== 0; ) {
    if (++fl > freed) fail("freelist longer than the freed records (cycle?)");
    const r = ref - 1;
    const p = r >>> 10;
    const unit = r & 1023;
    if (p >= nPools || state[p * POOL_UNITS + unit] !== 3) fail(`freelist ref ${ref} is not a freed record`);
    state[p * POOL_UNITS + unit] = 4;
    const pool = s.pools[p];
    const base = unit << 2;
    if (pool[base + NEW_FREE_PREV] !== prevRef) fail(`freelist record ${p}:${unit} has a wrong prev link`);
    const cookie = rcuCookie(pool, base);
    if (cookie < prevCookie) fail("freelist RCU cookies decrease");
    prevCookie = cookie;
    prevRef = ref;
    ref = pool[base + NEW_FREE_NEXT];
  }
  if (prevRef !== s.freeTail) fail("freelist tail mismatch");
  if (fl !== freed) fail(`${freed} freed records but ${fl} on the freelist`);
  if (fl !== s.freelistSize) fail(`freelist_size ${s.freelistSize} but ${fl} on the list`);
  // Counters.
  if (s.refdInUse !== liveEvict) fail(`refcounted_in_use ${s.refdInUse} but ${liveEvict} live evictable records`);
  if (s.refdAllocs - s.refdFrees !== s.refdInUse) fail("refcounted allocations - frees != in use");
  if (s.persistentCount !== livePersist) fail(`persistent_count ${s.persistentCount} but ${livePersist} records`);
  if (s.persistentBytes !== persistBytes) fail(`persistent_bytes ${s.persistentBytes} but ${persistBytes} counted`);
  // Pool accounting against the page source.
  if (s.sourceAllocs - s.sourceFrees !== inUse + spare)
    fail(`page source: ${s.sourceAllocs} allocs - ${s.sourceFrees} frees != ${inUse} pools + ${spare} spare`);
  if (s.newRec) {
    if (s.newPool === POISON && s.poolsNum !== s.maxPools) fail("new_pool poisoned below the cap");
    if (s.poolsNum > 0 && s.pools.length !== s.poolsNum) fail("stack_pools[] length mismatch");
  }
  if (s.pre !== -1) fail("a preallocation leaked out of a save");
}


/** Throws MmError("INVARIANT") if any structural invariant of the depot is broken. */
export function checkStackDepotInvariants(depot: { checkInvariants(): void }): void {
  depot.checkInvariants();
}
