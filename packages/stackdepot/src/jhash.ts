/**
 * Bob Jenkins' lookup3 word hash as the kernel's include/linux/jhash.h `jhash2()` spells it,
 * and the frame-array variant stackdepot uses (lib/stackdepot.c `hash_stack()`).
 */

/** JHASH_INITVAL: an arbitrary value, the golden-ratio-ish constant of lookup3. */
export const JHASH_INITVAL = 0xdeadbeef;
/** STACK_HASH_SEED: the seed every stackdepot version passes to jhash2. */
export const STACK_HASH_SEED = 0x9747b28c;

/**
 * `jhash2(k, length, initval)`: hash `length` 32-bit words of `k` starting at `offset`.
 * All arithmetic is mod 2^32 (`| 0`), the result is unsigned.
 * @see include/linux/jhash.h jhash2, __jhash_mix, __jhash_final
 */
export function jhash2(k: Uint32Array, offset: number, length: number, initval: number): number {
  let a = (JHASH_INITVAL + ((length << 2) | 0) + initval) | 0;
  let b = a;
  let c = a;
  let i = offset;
  let len = length;
  while (len > 3) {
    a = (a + k[i]) | 0;
    b = (b + k[i + 1]) | 0;
    c = (c + k[i + 2]) | 0;
    // __jhash_mix
    a = (a - c) | 0; a ^= (c << 4) | (c >>> 28); c = (c + b) | 0;
    b = (b - a) | 0; b ^= (a << 6) | (a >>> 26); a = (a + c) | 0;
    c = (c - b) | 0; c ^= (b << 8) | (b >>> 24); b = (b + a) | 0;
    a = (a - c) | 0; a ^= (c << 16) | (c >>> 16); c = (c + b) | 0;
    b = (b - a) | 0; b ^= (a << 19) | (a >>> 13); a = (a + c) | 0;
    c = (c - b) | 0; c ^= (b << 4) | (b >>> 28); b = (b + a) | 0;
    len -= 3;
    i += 3;
  }
  // The kernel's switch falls through 3 -> 2 -> 1 -> final; length 0 returns c unmixed.
  if (len === 0) return c >>> 0;
  if (len === 3) c = (c + k[i + 2]) | 0;
  if (len >= 2) b = (b + k[i + 1]) | 0;
  a = (a + k[i]) | 0;
  return jhashFinal(a, b, c) >>> 0;
}

/** __jhash_final(a, b, c), returning c as a signed int32 (a small integer for V8). */
function jhashFinal(a: number, b: number, c: number): number {
  c ^= b; c = (c - ((b << 14) | (b >>> 18))) | 0;
  a ^= c; a = (a - ((c << 11) | (c >>> 21))) | 0;
  b ^= a; b = (b - ((a << 25) | (a >>> 7))) | 0;
  c ^= b; c = (c - ((b << 16) | (b >>> 16))) | 0;
  a ^= c; a = (a - ((c << 4) | (c >>> 28))) | 0;
  b ^= a; b = (b - ((a << 14) | (a >>> 18))) | 0;
  c ^= b; c = (c - ((b << 24) | (b >>> 8))) | 0;
  return c;
}

/**
 * stackdepot's `hash_stack(entries, n)`: jhash2 over the `unsigned long entries[n]` array viewed
 * as 2n 32-bit words, seed 0x9747b28c. Our frames are u32 ids standing for the low words of 64-bit
 * return addresses; `high` is their upper word (little-endian: word 2i is frames[i], word 2i+1 is
 * `high`). An x86-64 kernel text address has 0xffffffff there; the default 0 is the pre-#17 model.
 * Equal to `jhash2(expand(frames), 0, 2n, seed)` without materialising the expansion.
 */
export function hashFrames(frames: Uint32Array, n: number, seed: number = STACK_HASH_SEED, high = 0): number {
  return hashFramesI32(frames, n, seed, high | 0) >>> 0;
}

/**
 * @internal hashFrames as a signed int32 (same bits). The depot's hot path keeps hashes signed:
 * a uint32 above 2^31 is not a small integer in V8 and would be boxed (allocated) when it
 * crosses a call boundary. `hi` is the upper word as an int32.
 */
export function hashFramesI32(frames: Uint32Array, n: number, seed: number, hi: number): number {
  const words = n << 1;
  let a = (JHASH_INITVAL + ((words << 2) | 0) + seed) | 0;
  let b = a;
  let c = a;
  let w = 0; // index of the next virtual word
  let len = words;
  while (len > 3) {
    if ((w & 1) === 0) {
      // words w, w+1, w+2 = frame, high, frame
      const f = w >>> 1;
      a = (a + frames[f]) | 0;
      b = (b + hi) | 0;
      c = (c + frames[f + 1]) | 0;
    } else {
      // words w, w+1, w+2 = high, frame, high
      a = (a + hi) | 0;
      b = (b + frames[(w + 1) >>> 1]) | 0;
      c = (c + hi) | 0;
    }
    a = (a - c) | 0; a ^= (c << 4) | (c >>> 28); c = (c + b) | 0;
    b = (b - a) | 0; b ^= (a << 6) | (a >>> 26); a = (a + c) | 0;
    c = (c - b) | 0; c ^= (b << 8) | (b >>> 24); b = (b + a) | 0;
    a = (a - c) | 0; a ^= (c << 16) | (c >>> 16); c = (c + b) | 0;
    b = (b - a) | 0; b ^= (a << 19) | (a >>> 13); a = (a + c) | 0;
    c = (c - b) | 0; c ^= (b << 4) | (b >>> 28); b = (b + a) | 0;
    len -= 3;
    w += 3;
  }
  if (len === 0) return c | 0;
  // Tail words w .. w+len-1; even positions hold frames, odd ones the high word.
  if (len === 3) c = (c + (((w + 2) & 1) === 0 ? frames[(w + 2) >>> 1] : hi)) | 0;
  if (len >= 2) b = (b + (((w + 1) & 1) === 0 ? frames[(w + 1) >>> 1] : hi)) | 0;
  a = (a + ((w & 1) === 0 ? frames[w >>> 1] : hi)) | 0;
  return jhashFinal(a, b, c);
}
