/**
 * Allocation workloads: a deterministic stream of "allocate 2^order pages with gfp at t, free
 * them at t + lifetime" events from a seed. `workload-driver.ts` plays it on a Sim.
 */
import { MmError, type Gfp, type Order } from "@mm/api";
import type { Prng } from "./prng.js";
import { WeightedSampler } from "./prng.js";

/** A distribution of non-negative durations (ns). `forever` means "never freed". */
export type Dist =
  | { readonly kind: "fixed"; readonly value: number }
  | { readonly kind: "exp"; readonly mean: number }
  /** exp(N(ln median, sigma)). */
  | { readonly kind: "lognormal"; readonly median: number; readonly sigma: number }
  /** Uniform in [min, max). */
  | { readonly kind: "uniform"; readonly min: number; readonly max: number }
  /** Pareto type I: heavy tail above `scale`. */
  | { readonly kind: "pareto"; readonly scale: number; readonly shape: number }
  | { readonly kind: "forever" }
  | { readonly kind: "mix"; readonly parts: readonly { readonly weight: number; readonly dist: Dist }[] };

/** Check a Dist; @throws MmError BAD_CONFIG naming `what`. */
export function validateDist(dist: Dist, what = "dist"): void {
  const bad = (msg: string): never => {
    throw new MmError("BAD_CONFIG", `${what}: ${msg}`);
  };
  const pos = (x: number, name: string): void => {
    if (!(x > 0) || !Number.isFinite(x)) bad(`${name} must be a finite number > 0, got ${x}`);
  };
  switch (dist.kind) {
    case "fixed":
      if (!(dist.value >= 0)) bad(`value must be >= 0, got ${dist.value}`);
      return;
    case "exp":
      pos(dist.mean, "mean");
      return;
    case "lognormal":
      pos(dist.median, "median");
      if (!(dist.sigma >= 0) || !Number.isFinite(dist.sigma)) bad(`sigma must be >= 0, got ${dist.sigma}`);
      return;
    case "uniform":
      if (!(dist.min >= 0) || !(dist.max > dist.min) || !Number.isFinite(dist.max)) bad(`need 0 <= min < max, got ${dist.min}, ${dist.max}`);
      return;
    case "pareto":
      pos(dist.scale, "scale");
      pos(dist.shape, "shape");
      return;
    case "forever":
      return;
    case "mix":
      if (!Array.isArray(dist.parts) || dist.parts.length === 0) bad("mix needs parts");
      if (!dist.parts.some((p) => p.weight > 0)) bad("mix weights sum to zero");
      dist.parts.forEach((p, i) => {
        if (!(p.weight >= 0) || !Number.isFinite(p.weight)) bad(`mix weight ${i} is ${p.weight}`);
        validateDist(p.dist, `${what}.parts[${i}]`);
      });
      return;
    default:
      return bad(`unknown kind ${(dist as { kind: string }).kind}`);
  }
}

/** One sample of `dist` (ns, not rounded); Infinity for `forever`. */
export function sampleDist(prng: Prng, dist: Dist): number {
  switch (dist.kind) {
    case "fixed":
      return dist.value;
    case "exp":
      return prng.exponential(dist.mean);
    case "lognormal":
      return prng.lognormal(Math.log(dist.median), dist.sigma);
    case "uniform":
      return dist.min + prng.nextFloat() * (dist.max - dist.min);
    case "pareto":
      return prng.pareto(dist.scale, dist.shape);
    case "forever":
      return Infinity;
    case "mix": {
      const weights = dist.parts.map((p) => p.weight);
      return sampleDist(prng, dist.parts[prng.weightedIndex(weights)].dist);
    }
  }
}

/** One source of allocations: a call site with its gfp, order mix, lifetimes and stack. */
export interface WorkloadSite {
  /** Label for reports. @defaultValue "site<i>" */
  name?: string;
  /** Relative share of arrivals. @defaultValue 1 */
  weight?: number;
  /** gfp mask of every allocation from this site. */
  gfp: Gfp;
  /** Weights indexed by order (e.g. [8, 1, 1] = 80% order 0, 10% order 1, 10% order 2). */
  orderWeights: readonly number[];
  /** How long an allocation lives before it is freed. */
  lifetimeNs: Dist;
  /** Stack pushed on the task's shadow stack around allocate(), innermost first. @defaultValue [] */
  trace?: readonly string[];
  /** Stack pushed around free(), innermost first. @defaultValue [] */
  freeTrace?: readonly string[];
  /** Run as a task of this comm (spawned by the driver on first use). @defaultValue the driver's task */
  comm?: string;
  /** That task is a kernel thread. @defaultValue false */
  kthread?: boolean;
}

/** Transient references on live allocations (get_page ... put_page), e.g. LRU/page-cache lookups. */
export interface RefStream {
  /** get/put pairs per simulated second over all live allocations. */
  ratePerSec: number;
  /** Time between the get and its put. */
  holdNs: Dist;
}

/** Options of `createWorkload`. Either `sites`, or the single-site shorthand fields. */
export interface WorkloadOptions {
  /** Randomness; the workload forks its own substreams from it ("arrivals", "attrs", "refs"). */
  prng: Prng;
  /** Mean arrivals (allocations attempted) per simulated second. */
  ratePerSec: number;
  /** Poisson (exponential gaps) or evenly spaced arrivals. @defaultValue "poisson" */
  arrivals?: "poisson" | "uniform";
  /** The call sites. @defaultValue one site from orderWeights/gfp/lifetimeNs */
  sites?: readonly WorkloadSite[];
  /** Shorthand single site: order weights. */
  orderWeights?: readonly number[];
  /** Shorthand single site: gfp. */
  gfp?: Gfp;
  /** Shorthand single site: lifetime. */
  lifetimeNs?: Dist;
  /** Stop after this many arrivals. @defaultValue Infinity */
  maxArrivals?: number;
  /** Stop generating arrivals this long after the start. @defaultValue Infinity */
  durationNs?: number;
  /** Transient get/put traffic (needs target.get/put). @defaultValue none */
  refs?: RefStream;
}

/** One generated arrival. `atNs` is relative to the workload's start. */
export interface Arrival {
  /** 0, 1, 2, ... */
  seq: number;
  atNs: number;
  site: number;
  order: Order;
  gfp: Gfp;
  /** Rounded ns; Infinity = never freed. */
  lifetimeNs: number;
}

/** A site after validation. */
export interface ResolvedSite {
  readonly name: string;
  readonly gfp: Gfp;
  readonly orders: WeightedSampler;
  readonly lifetimeNs: Dist;
  readonly trace: readonly string[];
  readonly freeTrace: readonly string[];
  readonly comm: string | undefined;
  readonly kthread: boolean;
}

/** Largest order a workload may ask for (orders index Uint8Arrays). */
const MAX_WORKLOAD_ORDER = 31;

/**
 * A deterministic arrival generator. Every attribute is drawn in a fixed order from substreams
 * of the given prng, independently of allocation outcomes, so two allocators see the same offered
 * load. `reset()` restarts the identical sequence.
 */
export class Workload {
  readonly sites: readonly ResolvedSite[];
  readonly ratePerSec: number;
  readonly maxArrivals: number;
  readonly durationNs: number;
  readonly refs: RefStream | undefined;
  private readonly poisson: boolean;
  private readonly root: Prng;
  private readonly siteSampler: WeightedSampler;
  private arrivalsPrng!: Prng;
  private attrsPrng!: Prng;
  /** Unrounded arrival time, so rounding does not drift. */
  private tFloat = 0;
  private n = 0;

  constructor(options: WorkloadOptions) {
    const bad = (msg: string): never => {
      throw new MmError("BAD_CONFIG", `workload: ${msg}`);
    };
    if (!(options.ratePerSec > 0) || !Number.isFinite(options.ratePerSec)) bad(`ratePerSec must be > 0, got ${options.ratePerSec}`);
    const arrivals = options.arrivals ?? "poisson";
    if (arrivals !== "poisson" && arrivals !== "uniform") bad(`arrivals must be poisson or uniform`);
    let sites = options.sites;
    if (sites === undefined) {
      if (options.orderWeights === undefined || options.gfp === undefined || options.lifetimeNs === undefined) {
        bad("give sites, or orderWeights + gfp + lifetimeNs");
      }
      sites = [{ gfp: options.gfp as Gfp, orderWeights: options.orderWeights as number[], lifetimeNs: options.lifetimeNs as Dist }];
    }
    if (sites.length === 0) bad("no sites");
    const maxArrivals = options.maxArrivals ?? Infinity;
    if (!(maxArrivals >= 0) || (maxArrivals !== Infinity && !Number.isSafeInteger(maxArrivals))) bad(`bad maxArrivals ${maxArrivals}`);
    const durationNs = options.durationNs ?? Infinity;
    if (!(durationNs >= 0)) bad(`bad durationNs ${durationNs}`);
    if (options.refs !== undefined) {
      if (!(options.refs.ratePerSec > 0) || !Number.isFinite(options.refs.ratePerSec)) bad(`refs.ratePerSec must be > 0`);
      validateDist(options.refs.holdNs, "refs.holdNs");
    }
    const weights: number[] = [];
    this.sites = sites.map((s, i): ResolvedSite => {
      const name = s.name ?? `site${i}`;
      const w = s.weight ?? 1;
      if (!(w >= 0) || !Number.isFinite(w)) bad(`${name}: weight ${w}`);
      weights.push(w);
      if (s.gfp >>> 0 !== s.gfp) bad(`${name}: gfp must be a u32, got ${s.gfp}`);
      if (s.orderWeights.length === 0 || s.orderWeights.length > MAX_WORKLOAD_ORDER + 1) bad(`${name}: orderWeights length ${s.orderWeights.length}`);
      let orders: WeightedSampler;
      try {
        orders = new WeightedSampler(s.orderWeights);
      } catch (e) {
        return bad(`${name}: orderWeights: ${(e as Error).message}`);
      }
      validateDist(s.lifetimeNs, `${name}.lifetimeNs`);
      for (const f of [...(s.trace ?? []), ...(s.freeTrace ?? [])]) {
        if (typeof f !== "string" || f.length === 0 || f.includes("\n")) bad(`${name}: bad frame ${JSON.stringify(f)}`);
      }
      return {
        name,
        gfp: s.gfp,
        orders,
        lifetimeNs: s.lifetimeNs,
        trace: s.trace ?? [],
        freeTrace: s.freeTrace ?? [],
        comm: s.comm,
        kthread: s.kthread ?? false,
      };
    });
    if (!weights.some((w) => w > 0)) bad("site weights sum to zero");
    this.siteSampler = new WeightedSampler(weights);
    this.ratePerSec = options.ratePerSec;
    this.poisson = arrivals === "poisson";
    this.maxArrivals = maxArrivals;
    this.durationNs = durationNs;
    this.refs = options.refs;
    this.root = options.prng;
    this.reset();
  }

  /** Arrivals generated so far. */
  get generated(): number {
    return this.n;
  }

  /** Restart the identical sequence. */
  reset(): void {
    this.arrivalsPrng = this.root.fork("arrivals");
    this.attrsPrng = this.root.fork("attrs");
    this.tFloat = 0;
    this.n = 0;
  }

  /** A fresh substream for transient references (used by the driver). */
  refsPrng(): Prng {
    return this.root.fork("refs");
  }

  /**
   * Generate the next arrival into `out`. @returns false when the workload is exhausted
   * (maxArrivals reached or the next arrival would fall after durationNs).
   */
  next(out: Arrival): boolean {
    if (this.n >= this.maxArrivals) return false;
    const meanGap = 1e9 / this.ratePerSec;
    const t = this.tFloat + (this.poisson ? this.arrivalsPrng.exponential(meanGap) : meanGap);
    const at = Math.round(t);
    if (at > this.durationNs || !Number.isSafeInteger(at)) return false;
    this.tFloat = t;
    const p = this.attrsPrng;
    const site = this.siteSampler.sample(p);
    const s = this.sites[site];
    const order = s.orders.sample(p);
    const life = sampleDist(p, s.lifetimeNs);
    out.seq = this.n++;
    out.atNs = at;
    out.site = site;
    out.order = order;
    out.gfp = s.gfp;
    out.lifetimeNs = Number.isFinite(life) && life <= Number.MAX_SAFE_INTEGER / 2 ? Math.round(life) : Infinity;
    return true;
  }

  /** Up to `n` further arrivals as objects (tests, inspection). */
  take(n: number): Arrival[] {
    const out: Arrival[] = [];
    for (let i = 0; i < n; i++) {
      const a: Arrival = { seq: 0, atNs: 0, site: 0, order: 0, gfp: 0, lifetimeNs: 0 };
      if (!this.next(a)) break;
      out.push(a);
    }
    return out;
  }
}

/** Create a workload (validates everything up front). @throws MmError BAD_CONFIG */
export function createWorkload(options: WorkloadOptions): Workload {
  return new Workload(options);
}
