/**
 * Refcounts and the freelist of 6.8 records: refcount_inc_not_zero on a GET hit, the
 * refcount_t helpers page_owner 6.9+ uses on a record's count, stack_depot_put's
 * depot_free_stack (unlink, RCU cookie, freelist tail) and depot_pop_free (oldest first, only
 * after its grace period).
 * @see lib/stackdepot.c find_stack, stack_depot_put, depot_free_stack, depot_pop_free;
 *   include/linux/refcount.h (saturation semantics)
 */
import { REFCOUNT_SATURATED } from "./api.js";
import { NEW_COUNT, NEW_FREE_NEXT, NEW_FREE_PREV, NEW_HASH, NEW_PREV, NEW_RCU_HI, NEW_RCU_LO } from "./record-layout.js";
import { W_REF_ADD_UAF, W_REF_SATURATED, W_REF_SUB_UAF, warnOnce, type DepotState } from "./state.js";

/** refcount_inc_not_zero() on a record's count; a saturated count stays saturated (and warns). */
export function refIncNotZero(s: DepotState, pool: Uint32Array, base: number): boolean {
  const c = pool[base + NEW_COUNT] | 0;
  if (c === 0) return false;
  if (c < 0 || c === 0x7fffffff) {
    pool[base + NEW_COUNT] = REFCOUNT_SATURATED;
    warnOnce(s, W_REF_SATURATED, "refcount_t: saturated; leaking memory.");
    return true;
  }
  pool[base + NEW_COUNT] = c + 1;
  return true;
}

/** refcount_add(n, &count) with the kernel's saturation warnings; `i` is the count's word. */
export function refcountAdd(s: DepotState, pool: Uint32Array, i: number, n: number): void {
  const old = pool[i] | 0;
  const sum = old + n;
  if (old === 0) {
    pool[i] = REFCOUNT_SATURATED;
    warnOnce(s, W_REF_ADD_UAF, "refcount_t: addition on 0; use-after-free.");
  } else if (old < 0 || sum > 0x7fffffff) {
    pool[i] = REFCOUNT_SATURATED;
    warnOnce(s, W_REF_SATURATED, "refcount_t: saturated; leaking memory.");
  } else {
    pool[i] = sum;
  }
}

/** refcount_sub_and_test(n, &count): true when it reached exactly 0. */
export function refcountSubAndTest(s: DepotState, pool: Uint32Array, i: number, n: number): boolean {
  const old = pool[i] | 0;
  if (old === n) {
    pool[i] = 0;
    return true;
  }
  if (old < 0 || old - n < 0) {
    pool[i] = REFCOUNT_SATURATED;
    warnOnce(s, W_REF_SUB_UAF, "refcount_t: underflow; use-after-free.");
    return false;
  }
  pool[i] = old - n;
  return false;
}

/** The RCU cookie a freed record carries (two words of the entries union). */
export function rcuCookie(pool: Uint32Array, base: number): number {
  return pool[base + NEW_RCU_LO] + pool[base + NEW_RCU_HI] * 2 ** 32;
}

/** depot_pop_free(): the oldest freed record, if its RCU grace period has ended; a ref or 0. */
export function depotPopFree(s: DepotState): number {
  const ref = s.freeHead;
  if (ref === 0) return 0;
  const r = ref - 1;
  const pool = s.pools[r >>> 10];
  const base = (r & 1023) << 2;
  if (!s.rcu.pollState(rcuCookie(pool, base))) return 0;
  const next = pool[base + NEW_FREE_NEXT];
  s.freeHead = next;
  if (next === 0) s.freeTail = 0;
  else {
    const x = next - 1;
    s.pools[x >>> 10][((x & 1023) << 2) + NEW_FREE_PREV] = 0;
  }
  s.freelistSize--;
  return ref;
}

/** depot_free_stack(): unlink from the bucket, stamp the RCU cookie, append to the freelist. */
export function depotFreeStack(s: DepotState, ref: number): void {
  const r = ref - 1;
  const pool = s.pools[r >>> 10];
  const base = (r & 1023) << 2;
  const next = pool[base];
  const prev = pool[base + NEW_PREV];
  if (prev === 0) s.heads[pool[base + NEW_HASH] & s.mask] = next;
  else {
    const p = prev - 1;
    s.pools[p >>> 10][(p & 1023) << 2] = next;
  }
  if (next !== 0) {
    const x = next - 1;
    s.pools[x >>> 10][((x & 1023) << 2) + NEW_PREV] = prev;
  }
  pool[base] = 0;
  pool[base + NEW_PREV] = 0;
  const cookie = s.rcu.getState();
  pool[base + NEW_RCU_LO] = cookie >>> 0;
  pool[base + NEW_RCU_HI] = Math.floor(cookie / 2 ** 32) >>> 0;
  pool[base + NEW_FREE_NEXT] = 0;
  pool[base + NEW_FREE_PREV] = s.freeTail;
  if (s.freeTail === 0) s.freeHead = ref;
  else {
    const t = s.freeTail - 1;
    s.pools[t >>> 10][((t & 1023) << 2) + NEW_FREE_NEXT] = ref;
  }
  s.freeTail = ref;
  s.freelistSize++;
  s.refdFrees++;
  s.refdInUse--;
}
