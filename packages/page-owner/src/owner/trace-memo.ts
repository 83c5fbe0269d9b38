/**
 * A small direct-mapped memo of trace -> depot handle in front of stack_depot_save. Model-side
 * only (the kernel asks the depot every time): page_owner's saves are persistent (no
 * STACK_DEPOT_FLAG_GET), so a handle, once returned for a trace, is returned for it forever; the
 * memo gives the same handle without hashing with jhash2 and walking a bucket. Failures (0) are
 * never memoised, so a depot that recovers is asked again.
 */
import { PAGE_OWNER_STACK_DEPTH } from "./api.js";

/** Entries (a power of two). */
const SLOTS = 512;
const MASK = SLOTS - 1;
const W = PAGE_OWNER_STACK_DEPTH;

/** Seed of the key. */
export const MEMO_KEY_SEED = 0x2545f491;

/** One mixing step of the memo key; start from MEMO_KEY_SEED and finish with n. */
export function memoMix(h: number, frame: number): number {
  h = Math.imul(h ^ frame, 0x9e3779b1);
  return h ^ (h >>> 15);
}

/** The memo key of entries[0..n). */
export function memoKey(entries: Uint32Array, n: number): number {
  let h = MEMO_KEY_SEED;
  for (let i = 0; i < n; i++) h = memoMix(h, entries[i]);
  return (h ^ n) | 0;
}

export class TraceMemo {
  private readonly frames = new Uint32Array(SLOTS * W);
  private readonly lens = new Uint8Array(SLOTS);
  private readonly keys = new Int32Array(SLOTS);
  private readonly handles = new Uint32Array(SLOTS);
  /** Slot of the last lookup (insert goes there). */
  private slot = 0;
  private key = 0;
  hits = 0;

  /** The memoised handle of entries[0..n), or 0. Remembers the slot for insert(). */
  lookup(entries: Uint32Array, n: number): number {
    return this.lookupKeyed(entries, n, memoKey(entries, n));
  }

  /** lookup() with the key already computed (memoKey of the same frames). */
  lookupKeyed(entries: Uint32Array, n: number, h: number): number {
    const slot = h & MASK;
    this.slot = slot;
    this.key = h;
    const handle = this.handles[slot];
    if (handle === 0 || this.keys[slot] !== h || this.lens[slot] !== n) return 0;
    const f = this.frames;
    const base = slot * W;
    for (let i = 0; i < n; i++) if (f[base + i] !== entries[i]) return 0;
    this.hits++;
    return handle;
  }

  /** Remember handle for the trace of the last lookup() (call right after a miss). */
  insert(entries: Uint32Array, n: number, handle: number): void {
    if (handle === 0 || n > W) return;
    const slot = this.slot;
    const base = slot * W;
    for (let i = 0; i < n; i++) this.frames[base + i] = entries[i];
    this.lens[slot] = n;
    this.keys[slot] = this.key;
    this.handles[slot] = handle;
  }
}
