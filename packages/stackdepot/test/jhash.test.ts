import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hashFrames, jhash2, JHASH_INITVAL, STACK_HASH_SEED } from "../src/index.js";

/**
 * An independent reference: lookup3's hashlittle() byte-at-a-time path, written from the
 * algorithm's description (not from src/jhash.ts). For a little-endian byte string whose length
 * is a multiple of 4, hashlittle(bytes, len, init) == hashword(words, len / 4, init) == jhash2.
 */
function rot(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
function refHashlittle(bytes: Uint8Array, initval: number): number {
  let length = bytes.length;
  let a = (0xdeadbeef + length + initval) >>> 0;
  let b = a;
  let c = a;
  const mix = () => {
    a = (a - c) >>> 0; a = (a ^ rot(c, 4)) >>> 0; c = (c + b) >>> 0;
    b = (b - a) >>> 0; b = (b ^ rot(a, 6)) >>> 0; a = (a + c) >>> 0;
    c = (c - b) >>> 0; c = (c ^ rot(b, 8)) >>> 0; b = (b + a) >>> 0;
    a = (a - c) >>> 0; a = (a ^ rot(c, 16)) >>> 0; c = (c + b) >>> 0;
    b = (b - a) >>> 0; b = (b ^ rot(a, 19)) >>> 0; a = (a + c) >>> 0;
    c = (c - b) >>> 0; c = (c ^ rot(b, 4)) >>> 0; b = (b + a) >>> 0;
  };
  const final = () => {
    c = (c ^ b) >>> 0; c = (c - rot(b, 14)) >>> 0;
    a = (a ^ c) >>> 0; a = (a - rot(c, 11)) >>> 0;
    b = (b ^ a) >>> 0; b = (b - rot(a, 25)) >>> 0;
    c = (c ^ b) >>> 0; c = (c - rot(b, 16)) >>> 0;
    a = (a ^ c) >>> 0; a = (a - rot(c, 4)) >>> 0;
    b = (b ^ a) >>> 0; b = (b - rot(a, 14)) >>> 0;
    c = (c ^ b) >>> 0; c = (c - rot(b, 24)) >>> 0;
  };
  const word = (o: number, n: number) => {
    let w = 0;
    for (let i = 0; i < n; i++) w += bytes[o + i] * 2 ** (8 * i);
    return w;
  };
  let k = 0;
  while (length > 12) {
    a = (a + word(k, 4)) >>> 0;
    b = (b + word(k + 4, 4)) >>> 0;
    c = (c + word(k + 8, 4)) >>> 0;
    mix();
    length -= 12;
    k += 12;
  }
  if (length === 0) return c;
  a = (a + word(k, Math.min(length, 4))) >>> 0;
  if (length > 4) b = (b + word(k + 4, Math.min(length - 4, 4))) >>> 0;
  if (length > 8) c = (c + word(k + 8, length - 8)) >>> 0;
  final();
  return c;
}

const le = (words: Uint32Array) => new Uint8Array(words.buffer, words.byteOffset, words.byteLength);

describe("jhash2", () => {
  it("the reference reproduces lookup3's published test vectors", () => {
    const text = new TextEncoder().encode("Four score and seven years ago");
    expect(refHashlittle(new Uint8Array(0), 0)).toBe(0xdeadbeef);
    expect(refHashlittle(new Uint8Array(0), 0xdeadbeef)).toBe(0xbd5b7dde);
    expect(refHashlittle(text, 0)).toBe(0x17770551);
    expect(refHashlittle(text, 1)).toBe(0xcd628161);
  });

  it("hand-computed: zero words returns JHASH_INITVAL + seed unmixed", () => {
    // a = b = c = 0xdeadbeef + (0 << 2) + 0x9747b28c = 0x1_75f5717b -> 0x75f5717b
    expect(jhash2(new Uint32Array(0), 0, 0, STACK_HASH_SEED)).toBe(0x75f5717b);
    expect(jhash2(new Uint32Array(0), 0, 0, 0)).toBe(JHASH_INITVAL);
  });

  it("equals lookup3 hashlittle over the little-endian bytes, any length and seed", () => {
    fc.assert(
      fc.property(fc.uint32Array({ maxLength: 40 }), fc.integer({ min: 0, max: 0xffffffff }), (words, seed) => {
        expect(jhash2(words, 0, words.length, seed)).toBe(refHashlittle(le(words), seed));
      }),
      { numRuns: 500 },
    );
  });

  it("honours offset and length", () => {
    const w = new Uint32Array([9, 1, 2, 3, 4, 5, 9]);
    expect(jhash2(w, 1, 5, 7)).toBe(jhash2(new Uint32Array([1, 2, 3, 4, 5]), 0, 5, 7));
  });
});

describe("hashFrames (stackdepot hash_stack over 64-bit entries)", () => {
  it("equals jhash2 over the frames widened to (id, 0) word pairs", () => {
    fc.assert(
      fc.property(fc.uint32Array({ minLength: 1, maxLength: 70 }), (frames) => {
        const wide = new Uint32Array(frames.length * 2);
        for (let i = 0; i < frames.length; i++) wide[2 * i] = frames[i];
        expect(hashFrames(frames, frames.length)).toBe(jhash2(wide, 0, wide.length, STACK_HASH_SEED));
        expect(hashFrames(frames, frames.length)).toBe(refHashlittle(le(wide), STACK_HASH_SEED));
      }),
      { numRuns: 500 },
    );
  });

  it("equals jhash2 over (id, high) pairs: 0xffffffff is an x86-64 kernel text address's upper word", () => {
    fc.assert(
      fc.property(fc.uint32Array({ minLength: 1, maxLength: 70 }), fc.constantFrom(0xffffffff, 0x12345678, 1), (frames, high) => {
        const wide = new Uint32Array(frames.length * 2);
        for (let i = 0; i < frames.length; i++) {
          wide[2 * i] = frames[i];
          wide[2 * i + 1] = high;
        }
        expect(hashFrames(frames, frames.length, STACK_HASH_SEED, high)).toBe(refHashlittle(le(wide), STACK_HASH_SEED));
      }),
      { numRuns: 500 },
    );
    // A real 6.1 frame, 0xffffffff81234567, does not hash like the zero-extended 0x81234567.
    const f = new Uint32Array([0x81234567]);
    expect(hashFrames(f, 1, STACK_HASH_SEED, 0xffffffff)).not.toBe(hashFrames(f, 1));
  });

  it("hashes only the first n frames", () => {
    const f = new Uint32Array([5, 6, 7, 8]);
    expect(hashFrames(f, 2)).toBe(hashFrames(new Uint32Array([5, 6]), 2));
    expect(hashFrames(f, 2)).not.toBe(hashFrames(f, 3));
  });
});
