/**
 * Hash table sizing: the fixed STACK_HASH_ORDER 20 table of 2016-5.x, and the memory-scaled table
 * (one bucket per 16 KiB, clamped to 2^12..2^20) of stack_depot_early_init / stack_depot_init.
 * @see lib/stackdepot.c; mm/mm_init.c alloc_large_system_hash
 */
import { MmError } from "@mm/api";

/** STACK_HASH_ORDER of 2016: 2^20 buckets. */
export const STACK_HASH_ORDER_FIXED = 20;
/** STACK_HASH_TABLE_SCALE: one bucket per 2^14 bytes. */
export const STACK_HASH_TABLE_SCALE = 14;
/** Lower and upper clamp of the scaled table. */
export const STACK_HASH_ORDER_MIN = 12;
export const STACK_HASH_ORDER_MAX = 20;

const PAGE_SHIFT = 12;

function roundupPow2(n: number): number {
  if (n <= 1) return 1;
  return 2 ** Math.ceil(Math.log2(n));
}

function clampEntries(n: number): number {
  return Math.min(2 ** STACK_HASH_ORDER_MAX, Math.max(2 ** STACK_HASH_ORDER_MIN, n));
}

function checkPages(pages: number): void {
  if (!Number.isInteger(pages) || pages < 1) throw new MmError("BAD_CONFIG", `bad page count ${pages}`);
}

/**
 * alloc_large_system_hash("stackdepot", bucketsize, 0, 14, ..., 2^12, 2^20): nr_kernel_pages
 * rounded up to 1 MiB, one bucket per 16 KiB, rounded up to a power of two, clamped.
 * (With a high limit given, the 64-bit "adapt" scaling does not apply.)
 */
export function earlyTableEntries(kernelPages: number, bucketBytes: number): number {
  checkPages(kernelPages);
  let n = Math.ceil(kernelPages / 256) * 256; // round_up(numentries, SZ_1M / PAGE_SIZE)
  n = Math.floor(n / 2 ** (STACK_HASH_TABLE_SCALE - PAGE_SHIFT));
  if (n * bucketBytes < 1 << PAGE_SHIFT) n = (1 << PAGE_SHIFT) / bucketBytes;
  return clampEntries(roundupPow2(n));
}

/** stack_depot_init() late path: roundup_pow_of_two(nr_free_buffer_pages) >> (14 - PAGE_SHIFT), clamped. */
export function lateTableEntries(freeBufferPages: number): number {
  checkPages(freeBufferPages);
  return clampEntries(roundupPow2(freeBufferPages) / 2 ** (STACK_HASH_TABLE_SCALE - PAGE_SHIFT));
}

/** The alloc_large_system_hash pr_info line, e.g. `stackdepot hash table entries: 16384 (order: 5, 131072 bytes, linear)`. */
export function tableEntriesLine(entries: number, bucketBytes: number): string {
  const size = entries * bucketBytes;
  return `stackdepot hash table entries: ${entries} (order: ${Math.log2(size) - PAGE_SHIFT}, ${size} bytes, linear)`;
}
