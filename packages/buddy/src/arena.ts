/**
 * A general-purpose buddy arena over any address space (an ArrayBuffer, a GPU heap, a WASM
 * memory): the same engine as the machine, one zone, no watermarks, offsets instead of pfns.
 */
import { __GFP_MOVABLE, __GFP_NOWARN, MmError } from "@mm/api";
import { BuddyMachine } from "./machine.js";

/** Options of createBuddyArena(). */
export interface BuddyArenaOptions {
  /** Bytes to manage, from offset 0. The part beyond a multiple of minBlock is never handed out. */
  readonly size: number;
  /** Smallest block in bytes (a power of two): the "page" of this arena. @defaultValue 4096 */
  readonly minBlock?: number;
  /** Largest block in bytes (a power of two). @defaultValue the largest power of two <= size, at most minBlock << 30 */
  readonly maxBlock?: number;
}

/** A buddy allocator handing out naturally aligned power-of-two blocks as byte offsets. */
export interface BuddyArena {
  readonly size: number;
  readonly minBlock: number;
  readonly maxBlock: number;
  /**
   * Allocate at least `bytes` (rounded up to a power-of-two multiple of minBlock).
   * @returns the block's offset (aligned to its size), or -1 when no block is free.
   */
  alloc(bytes: number): number;
  /** Free a block by the offset alloc returned. @throws MmError DOUBLE_FREE, NOT_ALLOCATED, ... */
  free(offset: number): void;
  /** Size in bytes of the allocated block at `offset`. */
  sizeOf(offset: number): number;
  /** Bytes in free blocks. */
  freeBytes(): number;
  /** The largest free block in bytes (0 if none). */
  largestFreeBlock(): number;
  /** Verify the allocator's invariants (throws MmError INVARIANT). */
  check(): void;
  /** The underlying machine (one zone): free lists, /proc-style text, hooks. */
  readonly machine: BuddyMachine;
}

const GFP = __GFP_MOVABLE | __GFP_NOWARN;

function isPow2(x: number): boolean {
  return Number.isSafeInteger(x) && x > 0 && (x & (x - 1)) === 0 && x <= 2 ** 30;
}

/**
 * Create a buddy arena. Blocks are naturally aligned, so a block of 2^k * minBlock bytes starts
 * at a multiple of its size.
 */
export function createBuddyArena(opts: BuddyArenaOptions): BuddyArena {
  const minBlock = opts.minBlock ?? 4096;
  if (!isPow2(minBlock)) throw new MmError("BAD_CONFIG", `minBlock ${minBlock} is not a power of two`);
  const units = Math.floor(opts.size / minBlock);
  if (!Number.isSafeInteger(opts.size) || units < 1) throw new MmError("BAD_CONFIG", `size ${opts.size} holds no ${minBlock}-byte block`);
  let maxOrder = Math.min(30, 31 - Math.clz32(Math.min(units, 2 ** 30)));
  if (opts.maxBlock !== undefined) {
    if (!isPow2(opts.maxBlock / minBlock) || opts.maxBlock < minBlock)
      throw new MmError("BAD_CONFIG", `maxBlock ${opts.maxBlock} is not a power-of-two multiple of minBlock`);
    maxOrder = Math.min(maxOrder, Math.log2(opts.maxBlock / minBlock));
  }
  const m = new BuddyMachine({ ranges: [{ startPfn: 0, endPfn: units }], zoneLayout: "single", maxOrder, noWatermarks: true });
  const shift = Math.log2(minBlock);
  const toPfn = (offset: number): number => {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset % minBlock !== 0)
      throw new MmError("EINVAL", `offset ${offset} is not a multiple of ${minBlock}`, { offset });
    return offset / minBlock;
  };
  return {
    size: opts.size,
    minBlock,
    maxBlock: minBlock * 2 ** maxOrder,
    alloc(bytes: number): number {
      if (!(bytes > 0) || !Number.isFinite(bytes)) throw new MmError("EINVAL", `cannot allocate ${bytes} bytes`);
      const pages = Math.ceil(bytes / minBlock);
      const order = pages <= 1 ? 0 : 32 - Math.clz32(pages - 1);
      if (order > maxOrder) return -1;
      const pfn = m.allocPages(order, GFP);
      return pfn < 0 ? -1 : pfn * minBlock;
    },
    free(offset: number): void {
      const pfn = toPfn(offset);
      m.freePages(pfn, pfn < m.endPfn && m.isAllocated(pfn) ? m.order[pfn] : 0);
    },
    sizeOf(offset: number): number {
      const pfn = toPfn(offset);
      if (pfn >= m.endPfn || !m.isAllocated(pfn)) throw new MmError("NOT_ALLOCATED", `offset ${offset} is not an allocated block`, { offset });
      return minBlock * 2 ** m.order[pfn];
    },
    freeBytes(): number {
      return m.freePagesTotal() * 2 ** shift;
    },
    largestFreeBlock(): number {
      for (let o = maxOrder; o >= 0; o--) if (m.nrFree(m.zoneOf(0), o) > 0) return minBlock * 2 ** o;
      return 0;
    },
    check(): void {
      m.checkInvariants();
    },
    machine: m,
  };
}
