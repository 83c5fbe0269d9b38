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
 *
 * What changed by release (read in the released mm/page_alloc.c; WARN_ALLOC_VERSIONS):
 * - 4.9, 4.10: the check after reclaim, before should_reclaim_retry; `warn_alloc(gfp_mask, ...)`
 *   so __GFP_NOWARN silences it; the line ends at `mode:%#x(%pGg)`. 4.10 renumbered the gfp bits
 *   (___GFP_OTHER_NODE went away), so its masks print with the 4.10–4.14 values.
 * - 4.11: the check moved before reclaim (9a67f6488eca); warn_alloc gained the nodemask
 *   (", nodemask=(null)") and the cpuset_print_current_mems_allowed() line (685dbf6f, same merge).
 * - 4.12–4.14: `warn_alloc(gfp_mask & ~__GFP_NOWARN, ...)` (822519634142, "__GFP_NOWARN shouldn't
 *   suppress stall warnings"). Mikulas Patocka's Sept. 2017 patch to respect __GFP_NOWARN again
 *   was not merged: 4.14's source still masks it off.
 */
import { type Clock, type Gfp, __GFP_NOWARN, MmError, type Order } from "@mm/api";
import {
  DEFAULT_HZ,
  type LogSink,
  type MemallocTaskView,
  type ReportObserver,
  type SlowpathObserver,
  type StallCheckSite,
  WARN_ALLOC_STALL_SECS,
} from "./api.js";
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

/** The releases that had the stall check. */
export type WarnAllocVersion = "4.9" | "4.10" | "4.11" | "4.12" | "4.13" | "4.14";

/** What a release's stall check does differently: where it sits, how it prints, whether __GFP_NOWARN silences it. */
export interface WarnAllocRules {
  readonly site: StallCheckSite;
  readonly layout: WarnAllocLayout;
  readonly era: PrintEra;
  readonly honorNowarn: boolean;
}

const BEFORE_RECLAIM_MASKED: WarnAllocRules = { site: "before-reclaim", layout: "4.14", era: "4.14", honorNowarn: false };

/** Per release, from its mm/page_alloc.c (see the file comment for the commits). */
export const WARN_ALLOC_VERSIONS: Readonly<Record<WarnAllocVersion, WarnAllocRules>> = {
  "4.9": { site: "after-reclaim", layout: "4.9", era: "4.9", honorNowarn: true },
  "4.10": { site: "after-reclaim", layout: "4.9", era: "4.14", honorNowarn: true },
  "4.11": { site: "before-reclaim", layout: "4.14", era: "4.14", honorNowarn: true },
  "4.12": BEFORE_RECLAIM_MASKED,
  "4.13": BEFORE_RECLAIM_MASKED,
  "4.14": BEFORE_RECLAIM_MASKED,
};

export interface WarnAllocOptions {
  readonly tasks: MemallocTaskView;
  readonly clock: Clock;
  readonly log: LogSink;
  readonly hz?: number;
  /** The release whose rules apply (default "4.9", the one that added the stall warning); the options below override single rules. */
  readonly version?: WarnAllocVersion;
  /** Where the slow path calls the check (default: the release's). */
  readonly stallCheckSite?: StallCheckSite;
  /** Line layout (default: the release's). */
  readonly layout?: WarnAllocLayout;
  /** gfp numbering and names to print (default: the release's). */
  readonly era?: PrintEra;
  /** CONFIG_CPUSETS: the 4.11+ layout follows the headline with "<comm> cpuset=/ mems_allowed=0". */
  readonly cpuset?: boolean;
  /** Honour __GFP_NOWARN for stall lines (default: the release's; 4.9–4.11 did, 4.12–4.14 masked it off). */
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
  readonly version: WarnAllocVersion;
  readonly stallCheckSite: StallCheckSite;
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
    this.version = opts.version ?? "4.9";
    const rules = WARN_ALLOC_VERSIONS[this.version];
    if (rules === undefined) throw new MmError("BAD_CONFIG", `warn_alloc: no stall check in release ${String(opts.version)}`);
    this.stallCheckSite = opts.stallCheckSite ?? rules.site;
    this.layout = opts.layout ?? rules.layout;
    // a layout given alone keeps its own era's numbering (4.9 layout: 4.9 bits; 4.14 layout: 4.10+ bits)
    this.era = opts.era ?? (opts.layout === undefined || opts.version !== undefined ? rules.era : this.layout === "4.9" ? "4.9" : "4.14");
    this.honorNowarn = opts.honorNowarn ?? rules.honorNowarn;
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

  /** The stall check, called by the slow path at this release's site. */
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
    // 4.12–4.14 passed gfp_mask & ~__GFP_NOWARN, so the line shows the mask without the bit
    const shown = this.honorNowarn ? gfp : gfp & ~__GFP_NOWARN;
    if (!this.warn(t, formatStallLine(this.opts.tasks.comm(t), ms, order, shown, this.layout, this.era), nowJ)) return;
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
