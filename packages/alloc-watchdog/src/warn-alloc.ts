/**
 * Policy 1: the v4.9–v4.14 stall warning (commit 63f53dea0c98, removed by 400e22499dd9).
 * The stalling task prints it itself, from the retry loop of __alloc_pages_slowpath:
 *
 *   if (time_after(jiffies, alloc_start + stall_timeout)) {
 *       warn_alloc(gfp_mask, "page allocation stalls for %ums, order:%u", ...);
 *       stall_timeout += 10 * HZ;
 *   }
 *
 * so a task that is blocked (on a lock, on I/O, throttled inside reclaim) says nothing until it
 * comes back to the loop. warn_alloc is rate limited by one shared state, nopage_rs, which in
 * 4.9–4.14 used the defaults (5 s, burst 10) and is shared with the allocation-failure report.
 */
import { type Clock, type Gfp, __GFP_NOWARN, MmError, type Order } from "@mm/api";
import { DEFAULT_HZ, type LogSink, type MemallocTaskView, type ReportObserver, type SlowpathObserver, WARN_ALLOC_STALL_SECS } from "./api.js";
import {
  formatCpusetLine,
  formatFailureLine,
  formatStallLine,
  formatSuppressedLine,
  type WarnAllocLayout,
} from "./format.js";
import type { PrintEra } from "./gfp-era.js";
import { jiffiesToMsecs, nsToJiffies } from "./jiffies.js";

/** DEFAULT_RATELIMIT_INTERVAL (5 * HZ) and DEFAULT_RATELIMIT_BURST (10). */
export const DEFAULT_RATELIMIT_INTERVAL_SECS = 5;
export const DEFAULT_RATELIMIT_BURST = 10;

/**
 * ___ratelimit() on jiffies. The first call opens an interval; once `interval` jiffies have
 * passed, the next call reports the calls it refused ("%s: %d callbacks suppressed") and opens
 * a new interval; within an interval at most `burst` calls pass.
 */
export class Ratelimit {
  private begin = 0;
  private started = false;
  private printed = 0;
  /** Calls refused in the current interval (rs->missed). */
  missed = 0;
  /** Calls refused in total. */
  suppressedTotal = 0;

  constructor(
    readonly intervalJiffies: number,
    readonly burst: number,
    private readonly func: string,
  ) {
    if (!(intervalJiffies >= 0) || !(burst >= 0)) throw new MmError("BAD_CONFIG", "ratelimit interval and burst must be >= 0");
  }

  /** Returns true if the caller may print; `log` receives the "callbacks suppressed" line. */
  allow(nowJiffies: number, log: LogSink): boolean {
    if (this.intervalJiffies === 0) return true; // ratelimiting disabled
    if (!this.started) {
      this.started = true;
      this.begin = nowJiffies;
    }
    if (nowJiffies > this.begin + this.intervalJiffies) {
      if (this.missed !== 0) {
        log(formatSuppressedLine(this.func, this.missed));
        this.missed = 0;
      }
      this.begin = nowJiffies;
      this.printed = 0;
    }
    if (this.burst !== 0 && this.burst > this.printed) {
      this.printed++;
      return true;
    }
    this.missed++;
    this.suppressedTotal++;
    return false;
  }
}

export interface WarnAllocOptions {
  readonly tasks: MemallocTaskView;
  readonly clock: Clock;
  readonly log: LogSink;
  readonly hz?: number;
  /** Line layout (default "4.9", the release that added the stall warning). */
  readonly layout?: WarnAllocLayout;
  /** gfp numbering and names to print (default: the layout's own era). */
  readonly era?: PrintEra;
  /** CONFIG_CPUSETS: the 4.14 layout follows the headline with "<comm> cpuset=/ mems_allowed=0". */
  readonly cpuset?: boolean;
  /** Honour __GFP_NOWARN for stall lines (4.9 and 4.14 did; 4.11–4.13 masked it off). */
  readonly honorNowarn?: boolean;
  readonly ratelimitIntervalSecs?: number;
  readonly ratelimitBurst?: number;
  readonly observer?: ReportObserver;
}

/** Counters of what the policy printed (for the log-volume columns). */
export interface WarnAllocStats {
  /** Stall headlines printed. */
  stallLines: number;
  /** Failure headlines printed. */
  failureLines: number;
  /** warn_alloc calls the rate limit refused. */
  suppressed: number;
  /** dump_stack() calls: one per printed warning. */
  stackDumps: number;
  /** show_mem() calls: one per printed warning. */
  showMems: number;
}

export class WarnAllocStall implements SlowpathObserver {
  readonly hz: number;
  readonly layout: WarnAllocLayout;
  readonly era: PrintEra;
  readonly stats: WarnAllocStats = { stallLines: 0, failureLines: 0, suppressed: 0, stackDumps: 0, showMems: 0 };
  /** nopage_rs. */
  readonly ratelimit: Ratelimit;
  private readonly opts: WarnAllocOptions;
  private readonly honorNowarn: boolean;
  /** Per task: alloc_start + stall_timeout in jiffies (the slow path's locals), and the alloc_start it belongs to. */
  private deadline: Float64Array;
  private seenStart: Float64Array;

  constructor(opts: WarnAllocOptions) {
    this.opts = opts;
    this.hz = opts.hz ?? DEFAULT_HZ;
    if (!(this.hz > 0)) throw new MmError("BAD_CONFIG", `HZ must be > 0, got ${this.hz}`);
    this.layout = opts.layout ?? "4.9";
    this.era = opts.era ?? (this.layout === "4.9" ? "4.9" : "4.14");
    this.honorNowarn = opts.honorNowarn ?? true;
    this.ratelimit = new Ratelimit(
      (opts.ratelimitIntervalSecs ?? DEFAULT_RATELIMIT_INTERVAL_SECS) * this.hz,
      opts.ratelimitBurst ?? DEFAULT_RATELIMIT_BURST,
      "warn_alloc",
    );
    this.deadline = new Float64Array(64);
    this.seenStart = new Float64Array(64).fill(NaN);
  }

  private ensure(t: number): void {
    let n = this.deadline.length;
    while (n <= t) n *= 2;
    const a = new Float64Array(n);
    a.set(this.deadline);
    const b = new Float64Array(n).fill(NaN);
    b.set(this.seenStart);
    this.deadline = a;
    this.seenStart = b;
  }

  /** The stall check at the top of a retry (after get_page_from_freelist failed). */
  stallCheck(t: number, gfp: Gfp, order: Order, allocStartNs: number): void {
    if (t >= this.deadline.length) this.ensure(t);
    const step = WARN_ALLOC_STALL_SECS * this.hz;
    if (this.seenStart[t] !== allocStartNs) {
      // a new __alloc_pages_slowpath invocation: its locals start over
      this.seenStart[t] = allocStartNs;
      this.deadline[t] = nsToJiffies(allocStartNs, this.hz) + step;
    }
    const now = this.opts.clock.now();
    const nowJ = nsToJiffies(now, this.hz);
    // time_after(jiffies, alloc_start + stall_timeout)
    if (!(nowJ > this.deadline[t])) return;
    this.deadline[t] += step;
    const startJ = nsToJiffies(allocStartNs, this.hz);
    if (this.honorNowarn && gfp & __GFP_NOWARN) return;
    const ms = jiffiesToMsecs(nowJ - startJ, this.hz);
    if (!this.warn(t, formatStallLine(this.opts.tasks.comm(t), ms, order, gfp, this.layout, this.era), nowJ)) return;
    this.stats.stallLines++;
    this.opts.observer?.named(t, now);
  }

  /** warn_alloc(gfp, "page allocation failure: order:%u") at nopage. */
  allocFailure(t: number, gfp: Gfp, order: Order): void {
    if (gfp & __GFP_NOWARN) return;
    const nowJ = nsToJiffies(this.opts.clock.now(), this.hz);
    if (this.warn(t, formatFailureLine(this.opts.tasks.comm(t), order, gfp, this.layout, this.era), nowJ)) this.stats.failureLines++;
  }

  /** Rate limit, headline, cpuset line; dump_stack + show_mem are counted, not printed. */
  private warn(t: number, headline: string, nowJ: number): boolean {
    if (!this.ratelimit.allow(nowJ, this.opts.log)) {
      this.stats.suppressed++;
      return false;
    }
    this.opts.log(headline);
    if (this.layout === "4.14" && this.opts.cpuset === true) this.opts.log(formatCpusetLine(this.opts.tasks.comm(t)));
    this.stats.stackDumps++;
    this.stats.showMems++;
    return true;
  }
}
