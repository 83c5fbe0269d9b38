/**
 * Seeded PRNG: xoshiro128** 1.1 (Blackman & Vigna, prng.di.unimi.it/xoshiro128starstar.c),
 * 128-bit state, seeded from a 64-bit key through splitmix64 (Vigna's recommended seeder).
 * Nothing here reads wall time or Math.random.
 */
import { MmError } from "@mm/api";

/** 2^64 - 1. */
const M64 = (1n << 64n) - 1n;
/** splitmix64's increment, the 64-bit golden ratio. */
const GOLDEN64 = 0x9e3779b97f4a7c15n;
/** 2^-53, to scale a 53-bit integer into [0, 1). */
const TWO_POW_M53 = 1 / 9007199254740992;
/** 2^32. */
const TWO_POW_32 = 4294967296;

/** Accepted seeds: any safe integer (negative ones wrap to u64) or a bigint (taken mod 2^64). */
export type Seed = number | bigint;

/** Normalise a seed to a u64 bigint. @throws MmError EINVAL for a non-integer number. */
export function seedToKey(seed: Seed): bigint {
  if (typeof seed === "bigint") return BigInt.asUintN(64, seed);
  if (!Number.isSafeInteger(seed)) throw new MmError("EINVAL", `seed must be a safe integer or bigint, got ${seed}`);
  return BigInt.asUintN(64, BigInt(seed));
}

/** splitmix64's output function applied to state `x` (after the increment). */
function splitmixMix(z: bigint): bigint {
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
  return z ^ (z >> 31n);
}

/** The first `count` outputs of splitmix64 seeded with `seed` (reference: prng.di.unimi.it/splitmix64.c). */
export function splitmix64(seed: Seed, count: number): bigint[] {
  let x = seedToKey(seed);
  const out: bigint[] = [];
  for (let i = 0; i < count; i++) {
    x = (x + GOLDEN64) & M64;
    out.push(splitmixMix(x));
  }
  return out;
}

/** FNV-1a 64 over UTF-16 code units, for fork labels. */
function fnv1a64(s: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < s.length; i++) h = ((h ^ BigInt(s.charCodeAt(i))) * 0x100000001b3n) & M64;
  return h;
}

/** rotl on 32 bits. */
function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * xoshiro128** generator with distribution helpers. Same seed (or same fork path) -> same
 * sequence, on every platform.
 */
export class Prng {
  /** State words (int32 bit patterns). */
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  /** The u64 this stream was seeded from; forks derive from it, not from the current state. */
  readonly key: bigint;

  constructor(seed: Seed) {
    this.key = seedToKey(seed);
    const [a, b] = splitmix64(this.key, 2);
    this.setState([Number(a & 0xffffffffn), Number(a >> 32n), Number(b & 0xffffffffn), Number(b >> 32n)]);
  }

  /** The raw state (four u32), e.g. to snapshot a stream. */
  getState(): [number, number, number, number] {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
  }

  /**
   * Overwrite the raw state. xoshiro's reference vectors are given for raw states.
   * @throws MmError EINVAL for an all-zero state (the generator would emit zeros forever).
   */
  setState(state: readonly [number, number, number, number]): void {
    if (state.length !== 4 || state.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffffffff)) {
      throw new MmError("EINVAL", "state must be four u32 words");
    }
    if ((state[0] | state[1] | state[2] | state[3]) === 0) throw new MmError("EINVAL", "all-zero xoshiro state");
    this.s0 = state[0] | 0;
    this.s1 = state[1] | 0;
    this.s2 = state[2] | 0;
    this.s3 = state[3] | 0;
  }

  /** Next 32 random bits as an unsigned integer (xoshiro128** next()). */
  nextU32(): number {
    const s0 = this.s0;
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    const s2 = this.s2 ^ s0;
    const s3 = this.s3 ^ s1;
    this.s1 = s1 ^ s2;
    this.s0 = s0 ^ s3;
    this.s2 = s2 ^ t;
    this.s3 = rotl(s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits (two draws). */
  nextFloat(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) * TWO_POW_M53;
  }

  /**
   * Unbiased integer in [0, n), n an integer in [1, 2^53]. Rejection sampling (as OpenBSD's
   * arc4random_uniform) for n <= 2^32; 53-bit rejection above.
   */
  below(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 9007199254740992) {
      throw new MmError("EINVAL", `below(n) needs an integer n in [1, 2^53], got ${n}`);
    }
    if (n <= TWO_POW_32) {
      const threshold = (TWO_POW_32 - n) % n;
      for (;;) {
        const r = this.nextU32();
        if (r >= threshold) return r % n;
      }
    }
    const limit = 9007199254740992 - (9007199254740992 % n);
    for (;;) {
      const r = (this.nextU32() >>> 5) * 67108864 + (this.nextU32() >>> 6);
      if (r < limit) return r % n;
    }
  }

  /** Integer in [lo, hi) (half-open, like every range in mm-lab). */
  int(lo: number, hi: number): number {
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || hi <= lo) {
      throw new MmError("EINVAL", `int(lo, hi) needs safe integers lo < hi, got ${lo}, ${hi}`);
    }
    return lo + this.below(hi - lo);
  }

  /** true with probability p (p in [0, 1]). */
  chance(p: number): boolean {
    if (!(p >= 0 && p <= 1)) throw new MmError("EINVAL", `probability must be in [0, 1], got ${p}`);
    return this.nextFloat() < p;
  }

  /** A uniformly chosen element. @throws MmError EINVAL for an empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new MmError("EINVAL", "pick from an empty array");
    return items[this.below(items.length)];
  }

  /** Fisher-Yates shuffle in place (Durstenfeld). @returns the same array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /** Index chosen with probability proportional to `weights[i]` (linear scan; see WeightedSampler). */
  weightedIndex(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i];
      if (!(w >= 0) || !Number.isFinite(w)) throw new MmError("EINVAL", `weight ${i} is ${w}`);
      total += w;
    }
    if (!(total > 0)) throw new MmError("EINVAL", "weights sum to zero");
    let x = this.nextFloat() * total;
    let last = 0;
    for (let i = 0; i < weights.length; i++) {
      if (weights[i] === 0) continue;
      last = i;
      x -= weights[i];
      if (x < 0) return i;
    }
    return last;
  }

  /** Standard normal via Box-Muller (two floats per draw, no cached spare: state stays 128 bits). */
  normal(mean = 0, sd = 1): number {
    const u = 1 - this.nextFloat(); // (0, 1]
    const v = this.nextFloat();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Exponential with the given mean (> 0): -mean * ln(U), U in (0, 1]. */
  exponential(mean: number): number {
    if (!(mean > 0) || !Number.isFinite(mean)) throw new MmError("EINVAL", `exponential mean must be > 0, got ${mean}`);
    return -mean * Math.log(1 - this.nextFloat());
  }

  /** Log-normal: exp(N(mu, sigma)); the median is exp(mu). */
  lognormal(mu: number, sigma: number): number {
    if (!Number.isFinite(mu) || !(sigma >= 0) || !Number.isFinite(sigma)) {
      throw new MmError("EINVAL", `lognormal needs finite mu and sigma >= 0, got ${mu}, ${sigma}`);
    }
    return Math.exp(this.normal(mu, sigma));
  }

  /**
   * Geometric: the number of failures before the first success, k >= 0, P(k) = (1-p)^k p.
   * Inversion: floor(ln U / ln(1 - p)).
   */
  geometric(p: number): number {
    if (!(p > 0 && p <= 1)) throw new MmError("EINVAL", `geometric p must be in (0, 1], got ${p}`);
    if (p === 1) return 0;
    return Math.floor(Math.log(1 - this.nextFloat()) / Math.log1p(-p));
  }

  /** Pareto (type I) with scale xm > 0 and shape alpha > 0: xm / U^(1/alpha). */
  pareto(xm: number, alpha: number): number {
    if (!(xm > 0) || !(alpha > 0)) throw new MmError("EINVAL", `pareto needs xm > 0, alpha > 0, got ${xm}, ${alpha}`);
    return xm / Math.pow(1 - this.nextFloat(), 1 / alpha);
  }

  /**
   * An independent deterministic substream named `label`. It depends only on this stream's seed
   * key and the label (not on how much of this stream was consumed), so adding draws elsewhere
   * never shifts it. The same label forks the same stream; nest forks for paths ("wl/site3").
   */
  fork(label: string): Prng {
    return new Prng(splitmixMix(((this.key ^ fnv1a64(label)) + GOLDEN64) & M64));
  }
}

/** A new xoshiro128** stream seeded from `seed` through splitmix64. */
export function createPrng(seed: Seed): Prng {
  return new Prng(seed);
}

/** O(1) sampling from fixed weights: Walker's alias method (Vose's construction), one float per sample. */
export class WeightedSampler {
  /** Number of outcomes. */
  readonly n: number;
  /** Acceptance probability per column. */
  private readonly prob: Float64Array;
  /** Alias per column. */
  private readonly alias: Int32Array;

  constructor(weights: ArrayLike<number>) {
    const n = weights.length;
    if (n === 0) throw new MmError("EINVAL", "no weights");
    let total = 0;
    for (let i = 0; i < n; i++) {
      const w = weights[i];
      if (!(w >= 0) || !Number.isFinite(w)) throw new MmError("EINVAL", `weight ${i} is ${w}`);
      total += w;
    }
    if (!(total > 0)) throw new MmError("EINVAL", "weights sum to zero");
    this.n = n;
    this.prob = new Float64Array(n);
    this.alias = new Int32Array(n);
    const scaled = new Float64Array(n);
    const small: number[] = [];
    const large: number[] = [];
    for (let i = 0; i < n; i++) {
      scaled[i] = (weights[i] * n) / total;
      (scaled[i] < 1 ? small : large).push(i);
    }
    while (small.length > 0 && large.length > 0) {
      const s = small.pop() as number;
      const l = large.pop() as number;
      this.prob[s] = scaled[s];
      this.alias[s] = l;
      scaled[l] = scaled[l] + scaled[s] - 1;
      (scaled[l] < 1 ? small : large).push(l);
    }
    for (const i of large) {
      this.prob[i] = 1;
      this.alias[i] = i;
    }
    for (const i of small) {
      // only reached through rounding error: treat as certain
      this.prob[i] = 1;
      this.alias[i] = i;
    }
  }

  /**
   * An index in [0, n) with probability proportional to its weight. One 53-bit float: its
   * integer part (times n) picks the column, the fraction decides column vs alias.
   */
  sample(prng: Prng): number {
    const x = prng.nextFloat() * this.n;
    const i = Math.floor(x);
    return x - i < this.prob[i] ? i : this.alias[i];
  }
}

/**
 * Zipf over ranks 1..n with exponent s >= 0: P(k) proportional to 1 / k^s. Inversion over a
 * precomputed CDF (n doubles), binary search per sample.
 */
export class ZipfSampler {
  /** Number of ranks. */
  readonly n: number;
  /** Cumulative probabilities, cdf[n - 1] = 1. */
  private readonly cdf: Float64Array;

  constructor(n: number, s: number) {
    if (!Number.isInteger(n) || n < 1 || n > 1 << 24) throw new MmError("EINVAL", `zipf n must be in [1, 2^24], got ${n}`);
    if (!(s >= 0) || !Number.isFinite(s)) throw new MmError("EINVAL", `zipf exponent must be >= 0, got ${s}`);
    this.n = n;
    this.cdf = new Float64Array(n);
    let acc = 0;
    for (let k = 1; k <= n; k++) {
      acc += 1 / Math.pow(k, s);
      this.cdf[k - 1] = acc;
    }
    for (let i = 0; i < n; i++) this.cdf[i] /= acc;
    this.cdf[n - 1] = 1;
  }

  /** A rank in [1, n]. */
  sample(prng: Prng): number {
    const u = prng.nextFloat();
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cdf[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    return lo + 1;
  }
}
