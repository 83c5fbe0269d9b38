/**
 * Ground truth for comparing reporting policies: every outermost slow-path episode that lasts at
 * least `thresholdNs` is a stall. The ledger notes where the task stood when the episode crossed
 * the threshold (looping, or stuck on I/O, a lock, throttling, an OOM notifier) and, per policy,
 * when a printed line first named that allocation.
 */
import { MmError, type Scheduler, type TimerHandle } from "@mm/api";
import { type ReportObserver, WARN_ALLOC_STALL_SECS } from "./api.js";
import type { SlowpathListener } from "./slowpath-state.js";

export interface StallLedgerOptions {
  readonly scheduler: Scheduler;
  /** Names of the policies whose observers report to this ledger. */
  readonly policies: readonly string[];
  /** The task's situation when its episode becomes a stall (e.g. AllocStallModel.slowpathState). */
  readonly classify: (t: number) => number;
  readonly pid: (t: number) => number;
  /** Minimum episode length that counts as a stall (default 10 s, warn_alloc's first report). */
  readonly thresholdNs?: number;
}

export interface StallRecord {
  readonly t: number;
  readonly pid: number;
  readonly startNs: number;
  /** NaN: still in flight when the ledger was closed. */
  readonly endNs: number;
  /** classify(t) at start + threshold. */
  readonly stateAtThreshold: number;
  /** Per policy: when a line first named this allocation (NaN: never). */
  readonly firstNamedNs: readonly number[];
  /** Per policy: when a report first named or counted it (a bounded report's group line). */
  readonly firstSeenNs: readonly number[];
  /** Per policy: classify(t) when a line first named it (-1: never named). */
  readonly namedState: readonly number[];
}

export class StallLedger implements SlowpathListener {
  readonly thresholdNs: number;
  readonly policies: readonly string[];
  /** Per policy: reports naming an allocation that ended before becoming a stall. */
  readonly earlyReports: number[];
  private readonly opts: StallLedgerOptions;
  private readonly records: StallRecord[] = [];
  private cap = 0;
  private start = new Float64Array(0);
  private episode = new Uint32Array(0);
  private crossedState = new Int16Array(0);
  private named = new Float64Array(0); // [policy * cap + t]
  private seen = new Float64Array(0); // [policy * cap + t]
  private namedAt = new Int16Array(0); // [policy * cap + t]: classify(t) at the first naming
  /**
   * Episodes in start order (starts only grow, so a FIFO is sorted): task and episode number.
   * One timer fires at the head's crossing time; ended episodes are skipped when they reach the head.
   */
  private qTask = new Int32Array(64);
  private qEpisode = new Uint32Array(64);
  private qHead = 0;
  private qLen = 0;
  private timer: TimerHandle | null = null;
  private closed = false;

  constructor(opts: StallLedgerOptions) {
    this.opts = opts;
    this.policies = opts.policies;
    this.thresholdNs = opts.thresholdNs ?? WARN_ALLOC_STALL_SECS * 1e9;
    if (!(this.thresholdNs > 0)) throw new MmError("BAD_CONFIG", "threshold must be > 0");
    this.earlyReports = opts.policies.map(() => 0);
  }

  private ensure(t: number): void {
    if (t < this.cap) return;
    let cap = Math.max(16, this.cap);
    while (cap <= t) cap *= 2;
    const start = new Float64Array(cap).fill(NaN);
    start.set(this.start);
    const episode = new Uint32Array(cap);
    episode.set(this.episode);
    const crossed = new Int16Array(cap).fill(-1);
    crossed.set(this.crossedState);
    const named = new Float64Array(cap * this.policies.length).fill(NaN);
    const seen = new Float64Array(cap * this.policies.length).fill(NaN);
    const namedAt = new Int16Array(cap * this.policies.length).fill(-1);
    for (let p = 0; p < this.policies.length; p++) {
      named.set(this.named.subarray(p * this.cap, (p + 1) * this.cap), p * cap);
      seen.set(this.seen.subarray(p * this.cap, (p + 1) * this.cap), p * cap);
      namedAt.set(this.namedAt.subarray(p * this.cap, (p + 1) * this.cap), p * cap);
    }
    this.seen = seen;
    this.namedAt = namedAt;
    this.start = start;
    this.episode = episode;
    this.crossedState = crossed;
    this.named = named;
    this.cap = cap;
  }

  begin(t: number, nowNs: number): void {
    if (this.closed) return;
    this.ensure(t);
    this.start[t] = nowNs;
    const ep = (this.episode[t] + 1) >>> 0;
    this.episode[t] = ep;
    this.crossedState[t] = -1;
    for (let p = 0; p < this.policies.length; p++) {
      this.named[p * this.cap + t] = NaN;
      this.seen[p * this.cap + t] = NaN;
      this.namedAt[p * this.cap + t] = -1;
    }
    if (this.qLen === this.qTask.length) this.growQueue();
    const j = (this.qHead + this.qLen) & (this.qTask.length - 1);
    this.qTask[j] = t;
    this.qEpisode[j] = ep;
    this.qLen++;
    if (this.timer === null) this.arm();
  }

  private growQueue(): void {
    const n = this.qTask.length * 2;
    const a = new Int32Array(n);
    const b = new Uint32Array(n);
    for (let i = 0; i < this.qLen; i++) {
      const j = (this.qHead + i) & (this.qTask.length - 1);
      a[i] = this.qTask[j];
      b[i] = this.qEpisode[j];
    }
    this.qTask = a;
    this.qEpisode = b;
    this.qHead = 0;
  }

  /** Drop ended episodes from the head, then time the head's crossing. */
  private arm(): void {
    const mask = this.qTask.length - 1;
    while (this.qLen > 0) {
      const t = this.qTask[this.qHead];
      if (this.qEpisode[this.qHead] === this.episode[t] && !Number.isNaN(this.start[t])) break;
      this.qHead = (this.qHead + 1) & mask;
      this.qLen--;
    }
    if (this.qLen === 0) return;
    const t = this.qTask[this.qHead];
    const due = this.start[t] + this.thresholdNs - this.opts.scheduler.now();
    this.timer = this.opts.scheduler.schedule(Math.max(0, due), this.fire);
  }

  private readonly fire = (): void => {
    this.timer = null;
    const now = this.opts.scheduler.now();
    const mask = this.qTask.length - 1;
    while (this.qLen > 0) {
      const t = this.qTask[this.qHead];
      const live = this.qEpisode[this.qHead] === this.episode[t] && !Number.isNaN(this.start[t]);
      if (live && this.start[t] + this.thresholdNs > now) break;
      if (live) this.crossedState[t] = this.opts.classify(t);
      this.qHead = (this.qHead + 1) & mask;
      this.qLen--;
    }
    this.arm();
  };

  end(t: number, nowNs: number): void {
    if (this.closed || t >= this.cap || Number.isNaN(this.start[t])) return;
    if (this.crossedState[t] >= 0) this.push(t, nowNs);
    else for (let p = 0; p < this.policies.length; p++) if (!Number.isNaN(this.seen[p * this.cap + t])) this.earlyReports[p]++;
    this.start[t] = NaN;
  }

  private push(t: number, endNs: number): void {
    const firstNamedNs: number[] = [];
    const firstSeenNs: number[] = [];
    const namedState: number[] = [];
    for (let p = 0; p < this.policies.length; p++) {
      firstNamedNs.push(this.named[p * this.cap + t]);
      firstSeenNs.push(this.seen[p * this.cap + t]);
      namedState.push(this.namedAt[p * this.cap + t]);
    }
    this.records.push({ t, pid: this.opts.pid(t), startNs: this.start[t], endNs, stateAtThreshold: this.crossedState[t], firstNamedNs, firstSeenNs, namedState });
  }

  /** The observer to hand to policy `p` (index into `policies`). */
  observer(p: number): ReportObserver {
    if (!Number.isInteger(p) || p < 0 || p >= this.policies.length) throw new MmError("EINVAL", `no policy ${p}`);
    return {
      named: (t: number, nowNs: number): void => {
        if (this.closed || t >= this.cap || Number.isNaN(this.start[t])) return;
        const i = p * this.cap + t;
        if (Number.isNaN(this.named[i])) {
          this.named[i] = nowNs;
          this.namedAt[i] = this.opts.classify(t);
        }
        if (Number.isNaN(this.seen[i])) this.seen[i] = nowNs;
      },
      folded: (t: number, nowNs: number): void => {
        if (this.closed || t >= this.cap || Number.isNaN(this.start[t])) return;
        const i = p * this.cap + t;
        if (Number.isNaN(this.seen[i])) this.seen[i] = nowNs;
      },
    };
  }

  /** Close the books: episodes still in flight that crossed the threshold count as stalls. */
  finish(): readonly StallRecord[] {
    if (!this.closed) {
      // crossings due exactly now are still counted
      if (this.timer !== null) {
        this.timer.cancel();
        this.fire();
        this.timer?.cancel();
        this.timer = null;
      }
      this.closed = true;
      for (let t = 0; t < this.cap; t++) if (!Number.isNaN(this.start[t]) && this.crossedState[t] >= 0) this.push(t, NaN);
    }
    return this.records;
  }
}

export interface PolicySummary {
  /** Stalls in the ground truth. */
  readonly stalls: number;
  /** Of those, stuck (not looping) when they crossed the threshold. */
  readonly stuck: number;
  /** Stalls a line named while they were in flight. */
  readonly named: number;
  readonly namedStuck: number;
  /** Stuck stalls first named while the task was still blocked (not looping) — what warn_alloc cannot do. */
  readonly namedWhileBlocked: number;
  /** Stalls a report named or counted (bounded reports fold most tasks into group lines). */
  readonly seen: number;
  readonly seenStuck: number;
  /** Detection latency (first naming − (start + threshold)) of named stalls, seconds; NaN if none. */
  readonly latencyMedianS: number;
  readonly latencyMaxS: number;
  /** The same over the stuck stalls only. */
  readonly stuckLatencyMedianS: number;
}

function median(sorted: readonly number[]): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  return n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/** Count and time what policy `p` caught. `looping` is the classify() value of a looping task. */
export function summarizeStalls(records: readonly StallRecord[], p: number, thresholdNs: number, looping: number): PolicySummary {
  let stuck = 0;
  let named = 0;
  let namedStuck = 0;
  let namedWhileBlocked = 0;
  let seen = 0;
  let seenStuck = 0;
  const lat: number[] = [];
  const latStuck: number[] = [];
  for (const r of records) {
    const isStuck = r.stateAtThreshold !== looping;
    if (isStuck) stuck++;
    if (!Number.isNaN(r.firstSeenNs[p])) {
      seen++;
      if (isStuck) seenStuck++;
    }
    const at = r.firstNamedNs[p];
    if (Number.isNaN(at)) continue;
    named++;
    const l = (at - (r.startNs + thresholdNs)) / 1e9;
    lat.push(l);
    if (isStuck) {
      namedStuck++;
      latStuck.push(l);
      if (r.namedState[p] !== looping) namedWhileBlocked++;
    }
  }
  lat.sort((a, b) => a - b);
  latStuck.sort((a, b) => a - b);
  return {
    stalls: records.length,
    stuck,
    named,
    namedStuck,
    namedWhileBlocked,
    seen,
    seenStuck,
    latencyMedianS: median(lat),
    latencyMaxS: lat.length === 0 ? NaN : lat[lat.length - 1],
    stuckLatencyMedianS: median(latStuck),
  };
}
