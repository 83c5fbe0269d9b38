/**
 * `struct stack_record` of the two generations, as word offsets into a pool's Uint32Array.
 * - 2016 (v4.6 .. v6.1): next(8) hash(4) size(4) handle(4) pad(4) entries[] — header 24 bytes,
 *   records ALIGN(24 + 8n, 16).
 * - 6.8 (v6.7, current): hash_list{next,prev}(16) hash size handle count(4 each) entries[] —
 *   header 32; the freelist `list_head` and `rcu_state` share the union with entries[].
 * Both keep the bucket-chain `next` link in word 0.
 */

export interface RecordLayout {
  readonly hash: number;
  readonly size: number;
  readonly handle: number;
  readonly entries: number;
  readonly headerBytes: number;
}

export const RECORD_2016: RecordLayout = { hash: 2, size: 3, handle: 4, entries: 6, headerBytes: 24 };
export const RECORD_6_8: RecordLayout = { hash: 4, size: 5, handle: 6, entries: 8, headerBytes: 32 };

/** 2016 record: the handle word (entries follow a pad word). */
export const OLD_HANDLE = 4;
export const OLD_HEADER_BYTES = 24;
/** 6.8 record: hash_list.prev, the hash, and refcount_t count. */
export const NEW_PREV = 2;
export const NEW_HASH = 4;
export const NEW_HANDLE = 6;
export const NEW_COUNT = 7;
export const NEW_HEADER_BYTES = 32;
/** The freelist `list_head` and `rcu_state` in the entries[] union (6.8). */
export const NEW_FREE_NEXT = 8;
export const NEW_FREE_PREV = 10;
export const NEW_RCU_LO = 12;
export const NEW_RCU_HI = 13;
