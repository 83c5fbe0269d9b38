/**
 * Policy 2: kmallocwd (Tetsuo Handa, v6 2016-11 / v8 2017-03, never merged). A periodic scan
 * (inside khungtaskd, every memalloc_task_timeout_secs) walks every thread, reports each one whose
 * outermost reclaiming allocation began at least timeout/2 ago ("such tasks might be correlated
 * with tasks that already stalled for full timeout duration"), plus dying, exiting and OOM-victim
 * tasks and always kswapd, between two MemAlloc-Info summaries.
 *
 * Unlike warn_alloc it reads per-task state, so a task blocked inside the allocator is found as
 * surely as a looping one, and a scan can call listeners (seed 003's hook).
 *
 * With `bound` set it prints at most bound.maxTasks MemAlloc lines (victims first, then the longest
 * stalls, then dying/exiting tasks; kswapd on top) and folds the rest into at most bound.maxGroups
 * MemAlloc-Group lines by (gfp, order, state), saying how many it folded. kmallocwd itself printed
 * every task (3914 MemAlloc lines in one of Tetsuo's reports).
 */
import { MmError, type Scheduler, type TimerHandle } from "@mm/api";
import {
  DEFAULT_HZ,
  DEFAULT_MEMALLOC_TASK_TIMEOUT_SECS,
  type LogSink,
  type MemallocTaskView,
  PF_EXITING,
  PF_KSWAPD,
  type ReportBound,
  type ReportObserver,
  type StallListener,
  TASK_DEAD,
  TASK_INTERRUPTIBLE,
  TASK_UNINTERRUPTIBLE,
} from "./api.js";
import {
  formatFoldedLine,
  formatGroupLine,
  formatMemAllocInfo,
  formatMemAllocLine,
  formatOtherGroupsLine,
} from "./format.js";
import type { PrintEra } from "./gfp-era.js";
import { nsToJiffies } from "./jiffies.js";
import type { MemallocTable } from "./memalloc.js";

// report type bits, as kmallocwd's second pass computes them
const T_VICTIM = 1;
const T_DYING = 2;
const T_EXITING = 4;
const T_STALLING = 8;
const T_KSWAPD = 16;

export interface WatchdogOptions {
  readonly scheduler: Scheduler;
  readonly tasks: MemallocTaskView;
  readonly table: MemallocTable;
  readonly log: LogSink;
  /** memalloc_task_timeout_secs: scan period; tasks stalled >= timeout/2 are reported. 0 = off. */
  readonly timeoutSecs?: number;
  readonly hz?: number;
  /** gfp numbering and names to print (default "4.9": v6 ran on 4.9-rc). */
  readonly era?: PrintEra;
  /** null/absent: kmallocwd's unbounded listing. */
  readonly bound?: ReportBound | null;
  /** out_of_memory_count (kmallocwd counted out_of_memory() calls); read at every report. */
  readonly oomCount?: () => number;
  readonly observer?: ReportObserver;
  /** The PF_KSWAPD bit of the era the task view's flags come from (default 4.9's 0x40000; 4.12+ use 0x20000). */
  readonly kswapdFlag?: number;
}

export interface WatchdogStats {
  /** Periodic wake-ups (khungtaskd passes that looked at memalloc state). */
  scans: number;
  /** Scans that walked the task list (memalloc_maybe_stalling() said yes). */
  walks: number;
  /** Scans that printed a report. */
  reports: number;
  /** MemAlloc lines printed. */
  taskLines: number;
  /** Reportable tasks folded into the bounded summary instead of a line. */
  folded: number;
  /** sched_show_task() calls: one per MemAlloc line. */
  stackDumps: number;
  /** show_mem() calls: one per report. */
  showMems: number;
}

/** Everything one scan found; exposed for tests and experiments. */
export interface ScanResult {
  readonly stalling: number;
  readonly dying: number;
  readonly exiting: number;
  readonly victim: number;
  /** Task indices given a MemAlloc line, in print order. */
  readonly listed: readonly number[];
  readonly foldedStalling: number;
  readonly foldedOther: number;
}

const EMPTY_SCAN: ScanResult = { stalling: 0, dying: 0, exiting: 0, victim: 0, listed: [], foldedStalling: 0, foldedOther: 0 };

function stateName(state: number): string {
  if (state & TASK_UNINTERRUPTIBLE) return "uninterruptible";
  if (state & TASK_INTERRUPTIBLE) return "sleeping";
  return "running";
}

export class MemallocWatchdog {
  readonly hz: number;
  readonly era: PrintEra;
  readonly bound: ReportBound | null;
  readonly stats: WatchdogStats = { scans: 0, walks: 0, reports: 0, taskLines: 0, folded: 0, stackDumps: 0, showMems: 0 };
  private timeout: number;
  private timer: TimerHandle | null = null;
  /** start() was called and stop() was not. */
  private active = false;
  private readonly listeners: StallListener[] = [];
  /** Inside a stall episode (the last scan found stalling tasks). */
  private stalled = false;
  private readonly opts: WatchdogOptions;
  /** Per-task type bits of the current scan (reused). */
  private type = new Uint8Array(64);
  private readonly kswapdFlag: number;

  constructor(opts: WatchdogOptions) {
    this.opts = opts;
    this.hz = opts.hz ?? DEFAULT_HZ;
    this.era = opts.era ?? "4.9";
    this.bound = opts.bound ?? null;
    this.kswapdFlag = opts.kswapdFlag ?? PF_KSWAPD;
    this.timeout = opts.timeoutSecs ?? DEFAULT_MEMALLOC_TASK_TIMEOUT_SECS;
    if (!(this.hz > 0)) throw new MmError("BAD_CONFIG", `HZ must be > 0, got ${this.hz}`);
    if (!(this.timeout >= 0) || !Number.isInteger(this.timeout)) throw new MmError("BAD_CONFIG", `timeout must be a whole number of seconds >= 0, got ${this.timeout}`);
    if (this.bound !== null && (!(this.bound.maxTasks >= 0) || !(this.bound.maxGroups >= 1)))
      throw new MmError("BAD_CONFIG", "bound needs maxTasks >= 0 and maxGroups >= 1");
  }

  get timeoutSecs(): number {
    return this.timeout;
  }

  /** Started and not stopped (a timeout of 0 pauses scanning without stopping). */
  get running(): boolean {
    return this.active;
  }

  /** True between a scan that found stalling tasks and the next scan that found none. */
  get inStall(): boolean {
    return this.stalled;
  }

  /** Subscribe; returns the unsubscribe function. */
  addListener(l: StallListener): () => void {
    this.listeners.push(l);
    return () => {
      const i = this.listeners.indexOf(l);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Start the periodic scan: the first one runs `timeout` seconds from now. */
  start(): void {
    if (this.active) return;
    this.active = true;
    this.arm();
  }

  /** Stop scanning; a running stall episode ends (stallStop fires once). */
  stop(): void {
    this.active = false;
    if (this.timer !== null) {
      this.timer.cancel();
      this.timer = null;
    }
    this.endEpisode(this.opts.scheduler.now());
  }

  /** /proc/sys/kernel/memalloc_task_timeout_secs: 0 disables scanning (the records stay). */
  setTimeoutSecs(secs: number): void {
    if (!(secs >= 0) || !Number.isInteger(secs)) throw new MmError("EINVAL", `timeout must be a whole number of seconds >= 0, got ${secs}`);
    this.timeout = secs;
    if (!this.active) return;
    this.timer?.cancel();
    this.timer = null;
    if (secs === 0) this.endEpisode(this.opts.scheduler.now());
    else this.arm();
  }

  private arm(): void {
    if (this.timeout === 0) return;
    this.timer = this.opts.scheduler.schedule(this.timeout * 1e9, this.tick);
  }

  private readonly tick = (): void => {
    this.timer = null;
    this.scan();
    this.arm();
  };

  /**
   * One khungtaskd pass: `if (memalloc_maybe_stalling()) check_memalloc_stalling_tasks(timeout)`.
   * Returns the number of stalling tasks (0 when the walk was skipped).
   */
  scan(): number {
    this.stats.scans++;
    const now = this.opts.scheduler.now();
    const n = this.opts.table.maybeStalling() ? this.checkStallingTasks().stalling : 0;
    this.afterScan(n, now);
    return n;
  }

  private afterScan(stalling: number, now: number): void {
    for (const l of this.listeners) l.scanned?.(stalling, now);
    if (stalling > 0 && !this.stalled) {
      this.stalled = true;
      for (const l of this.listeners) l.stallStart?.(stalling, now);
    } else if (stalling === 0) this.endEpisode(now);
  }

  private endEpisode(now: number): void {
    if (!this.stalled) return;
    this.stalled = false;
    for (const l of this.listeners) l.stallStop?.(now);
  }

  /**
   * check_memalloc_stalling_tasks(): walk every task, print the report, return how many stall.
   * The kernel counts in one pass and rechecks while printing; the model cannot change during
   * the call, so both passes would agree and one pass serves.
   */
  checkStallingTasks(): ScanResult {
    this.stats.walks++;
    const { tasks, table } = this.opts;
    const hz = this.hz;
    const now = this.opts.scheduler.now();
    const nowJ = nsToJiffies(now, hz);
    // expire = jiffies - timeout * (HZ / 2): integer HZ/2 as in the C expression
    const expire = nowJ - this.timeout * Math.floor(hz / 2);
    const count = tasks.taskCount;
    if (this.type.length < count) this.type = new Uint8Array(Math.max(count, this.type.length * 2));
    const type = this.type;
    let stalling = 0;
    let dying = 0;
    let exiting = 0;
    let victim = 0;
    for (let t = 0; t < count; t++) {
      const state = tasks.state(t);
      if (state === TASK_DEAD) {
        type[t] = 0;
        continue;
      }
      let ty = 0;
      if (tasks.isOomVictim(t)) {
        ty |= T_VICTIM;
        victim++;
      }
      if (tasks.fatalSignalPending(t)) {
        ty |= T_DYING;
        dying++;
      }
      const flags = tasks.flags(t);
      if (flags & PF_EXITING) {
        ty |= T_EXITING;
        exiting++;
      }
      if (table.isStalling(t, expire, hz)) {
        ty |= T_STALLING;
        stalling++;
      }
      if (flags & this.kswapdFlag) ty |= T_KSWAPD;
      type[t] = ty;
    }
    if (stalling === 0) return { ...EMPTY_SCAN, dying, exiting, victim };
    const oom = this.opts.oomCount?.() ?? 0;
    const info = formatMemAllocInfo(stalling, dying, exiting, victim, oom);
    const log = this.opts.log;
    log(info);
    const listed: number[] = [];
    let foldedStalling = 0;
    let foldedOther = 0;
    if (this.bound === null) {
      for (let t = 0; t < count; t++) if (type[t] !== 0) this.printTask(t, type[t], nowJ, listed);
    } else {
      ({ foldedStalling, foldedOther } = this.printBounded(count, nowJ, listed));
    }
    log(info); // kmallocwd repeats the summary after show_mem and the rest
    this.stats.reports++;
    this.stats.showMems++;
    return { stalling, dying, exiting, victim, listed, foldedStalling, foldedOther };
  }

  private printTask(t: number, ty: number, nowJ: number, listed: number[]): void {
    const { tasks, table } = this.opts;
    const stall = (ty & T_STALLING) !== 0;
    const alloc = stall
      ? { seq: table.sequence[t], gfp: table.gfp[t], order: table.order[t], delay: nowJ - nsToJiffies(table.startNs[t], this.hz) }
      : null;
    this.opts.log(
      formatMemAllocLine(
        tasks.comm(t),
        tasks.pid(t),
        tasks.flags(t),
        tasks.switches(t),
        alloc,
        (tasks.state(t) & TASK_UNINTERRUPTIBLE) !== 0,
        (ty & T_EXITING) !== 0,
        (ty & T_DYING) !== 0,
        (ty & T_VICTIM) !== 0,
        this.era,
      ),
    );
    listed.push(t);
    this.stats.taskLines++;
    this.stats.stackDumps++;
    if (stall) this.opts.observer?.named(t, this.opts.scheduler.now());
  }

  /** Rank: victims, then stalling by delay (longest first), then dying, then exiting. */
  private printBounded(count: number, nowJ: number, listed: number[]): { foldedStalling: number; foldedOther: number } {
    const bound = this.bound as ReportBound;
    const { tasks, table } = this.opts;
    const type = this.type;
    const cand: number[] = [];
    for (let t = 0; t < count; t++) {
      const ty = type[t];
      if (ty === 0) continue;
      // kswapd is always listed, outside the bound (one line per node)
      if (ty & T_KSWAPD) this.printTask(t, ty, nowJ, listed);
      else cand.push(t);
    }
    const rank = (t: number): number => {
      const ty = type[t];
      if (ty & T_VICTIM) return 0;
      if (ty & T_STALLING) return 1;
      if (ty & T_DYING) return 2;
      return 3;
    };
    const start = table.startNs;
    cand.sort((a, b) => rank(a) - rank(b) || ((type[a] & T_STALLING) !== 0 ? start[a] - start[b] : 0) || a - b);
    const shown = Math.min(bound.maxTasks, cand.length);
    for (let i = 0; i < shown; i++) this.printTask(cand[i], type[cand[i]], nowJ, listed);
    let foldedStalling = 0;
    let foldedOther = 0;
    // group the folded stalling tasks by (gfp, order, state)
    const groups = new Map<string, { tasks: number; gfp: number; order: number; state: string; min: number; max: number }>();
    const obs = this.opts.observer;
    const now = this.opts.scheduler.now();
    for (let i = shown; i < cand.length; i++) {
      const t = cand[i];
      if (!(type[t] & T_STALLING)) {
        foldedOther++;
        continue;
      }
      foldedStalling++;
      obs?.folded?.(t, now);
      const state = stateName(tasks.state(t));
      const key = `${table.gfp[t]}/${table.order[t]}/${state}`;
      const delay = nowJ - nsToJiffies(start[t], this.hz);
      const g = groups.get(key);
      if (g === undefined) groups.set(key, { tasks: 1, gfp: table.gfp[t], order: table.order[t], state, min: delay, max: delay });
      else {
        g.tasks++;
        if (delay < g.min) g.min = delay;
        if (delay > g.max) g.max = delay;
      }
    }
    const folded = foldedStalling + foldedOther;
    if (folded === 0) return { foldedStalling, foldedOther };
    this.stats.folded += folded;
    const log = this.opts.log;
    log(formatFoldedLine(foldedStalling, foldedOther));
    const list = [...groups.values()].sort((a, b) => b.tasks - a.tasks || b.max - a.max || a.gfp - b.gfp || a.order - b.order || (a.state < b.state ? -1 : a.state > b.state ? 1 : 0));
    const direct = list.length <= bound.maxGroups ? list.length : bound.maxGroups - 1;
    for (let i = 0; i < direct; i++) {
      const g = list[i];
      log(formatGroupLine(g.tasks, g.gfp, g.order, g.state, g.min, g.max, this.era));
    }
    if (direct < list.length) {
      let rest = 0;
      for (let i = direct; i < list.length; i++) rest += list[i].tasks;
      log(formatOtherGroupsLine(rest, list.length - direct));
    }
    return { foldedStalling, foldedOther };
  }
}
