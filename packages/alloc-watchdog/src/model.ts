/**
 * A model of `__alloc_pages_slowpath` (v4.9 shape) driven by simulated time, so that allocation
 * stalls arise from mechanisms instead of being scripted. The class is the public face; the
 * mechanisms live in rooms over one state struct (slowpath-state.ts):
 *
 * - slowpath.ts: each task's state machine, the burst, the retry loop, got_pg / nopage;
 * - direct-reclaim.ts: shrink_inactive_list (too_many_isolated + congestion_wait(HZ/10), a
 *   SWAP_CLUSTER_MAX batch, writeback waits), the fs shrinker's mutex, should_reclaim_retry();
 * - oom-kill.ts: __alloc_pages_may_oom(), out_of_memory() (notifiers, select_bad_process, the
 *   kill), the OOM reaper;
 * - kswapd.ts: woken below the high watermark, reclaiming to it;
 * - task-state.ts: sleeps, CPU work, the fs mutex's FIFO hand-off, the disk queue, exit;
 * - task-mm.ts and lru.ts: a task's RSS blocks and the page-cache LRU.
 *
 * The allocator is reached only through its no-reclaim attempt (`allocPages` with the reclaim
 * bits cleared), so any PageSource with free-page and watermark numbers can sit underneath
 * (@mm/buddy, or a test fake). The model implements MemallocTaskView and keeps the kmallocwd
 * record (MemallocTable) of every task: entered when the slow path begins, left when it returns.
 */
import { MmError } from "@mm/api";
import type { MemallocTaskView, SlowpathObserver } from "./api.js";
import { checkStallInvariants } from "./invariants.js";
import type { MemallocTable } from "./memalloc.js";
import {
  createStallState,
  inSlowpath,
  P_CONGESTED,
  P_LOCK_WAIT,
  P_OOM_NOTIFIER,
  P_RECLAIM_IO,
  P_SHRINK_IO,
  SLOWPATH_IO,
  SLOWPATH_LOCK,
  SLOWPATH_LOOPING,
  SLOWPATH_NONE,
  SLOWPATH_OOM_NOTIFIER,
  SLOWPATH_THROTTLED,
  type SlowpathListener,
  type StallModelConfig,
  type StallModelStats,
  type StallState,
} from "./slowpath-state.js";
import { installSlowpath, startModel } from "./slowpath.js";

export {
  type DiskConfig,
  type KswapdConfig,
  type OomConfig,
  type ReclaimConfig,
  SLOWPATH_IO,
  SLOWPATH_LOCK,
  SLOWPATH_LOOPING,
  SLOWPATH_NONE,
  SLOWPATH_OOM_NOTIFIER,
  SLOWPATH_STATE_NAMES,
  SLOWPATH_THROTTLED,
  type SlowpathListener,
  type StallModelAllocator,
  type StallModelConfig,
  type StallModelStats,
  type TaskSpec,
  WORK_ANON,
  WORK_FILE,
  WORK_FS_HOLDER,
} from "./slowpath-state.js";

export class AllocStallModel implements MemallocTaskView {
  readonly table: MemallocTable;
  readonly hz: number;
  readonly stats: StallModelStats;
  private readonly s: StallState;

  constructor(cfg: StallModelConfig) {
    this.s = createStallState(cfg);
    installSlowpath(this.s);
    this.table = this.s.table;
    this.hz = this.s.hz;
    this.stats = this.s.stats;
  }

  /** out_of_memory() calls (kmallocwd's out_of_memory_count). */
  get oomCount(): number {
    return this.s.oomCount;
  }

  // ---- MemallocTaskView ----
  get taskCount(): number {
    return this.s.n;
  }
  comm(t: number): string {
    return this.s.comms[t];
  }
  pid(t: number): number {
    return this.s.pids[t];
  }
  flags(t: number): number {
    return this.s.pflags[t];
  }
  switches(t: number): number {
    return this.s.nswitch[t];
  }
  state(t: number): number {
    return this.s.tstate[t];
  }
  isOomVictim(t: number): boolean {
    return this.s.victim[t] !== 0;
  }
  fatalSignalPending(t: number): boolean {
    return this.s.sigkill[t] !== 0;
  }

  // ---- wiring ----
  /** A reporter that wants the slow path's stall check / failure report (warn_alloc). */
  addObserver(o: SlowpathObserver): void {
    this.s.observers.push(o);
    if (o.stallCheckSite === "after-reclaim") this.s.checkAfterReclaim.push(o);
    else this.s.checkBeforeReclaim.push(o);
  }
  addListener(l: SlowpathListener): void {
    this.s.listeners.push(l);
  }
  /**
   * Keep another MemallocTable in step (before start()). Each watchdog needs its own: the
   * in-flight counter flip of one watchdog's scan must not steer another's.
   */
  addTable(table: MemallocTable): void {
    if (this.s.started) throw new MmError("BAD_STATE", "add tables before start()");
    table.ensureCapacity(this.s.n);
    this.s.tables.push(table);
  }

  /** Task index of kswapd, or -1. */
  get kswapdIndex(): number {
    return this.s.kswapd;
  }

  /** Where a task inside the slow path stands (SLOWPATH_*), SLOWPATH_NONE outside it. */
  slowpathState(t: number): number {
    const p = this.s.phase[t];
    if (!inSlowpath(p)) return SLOWPATH_NONE;
    if (p === P_RECLAIM_IO || p === P_SHRINK_IO) return SLOWPATH_IO;
    if (p === P_LOCK_WAIT) return SLOWPATH_LOCK;
    if (p === P_CONGESTED) return SLOWPATH_THROTTLED;
    if (p === P_OOM_NOTIFIER) return SLOWPATH_OOM_NOTIFIER;
    return SLOWPATH_LOOPING;
  }

  /** Page-cache pages on the LRU (not isolated). */
  get pageCachePages(): number {
    return this.s.cacheLen;
  }
  get dirtyPages(): number {
    return this.s.cacheDirty;
  }
  rss(t: number): number {
    return this.s.rssPages[t];
  }
  /** Pages the model holds: page cache + isolated + every task's RSS. */
  pagesHeld(): number {
    let n = this.s.cacheLen + this.s.isolatedTotal;
    for (let t = 0; t < this.s.n; t++) n += this.s.rssPages[t];
    return n;
  }

  /** Fill the initial page cache and schedule every task's first wake-up. */
  start(): void {
    startModel(this.s);
  }

  /** Throws MmError("INVARIANT") when the model's books do not balance. */
  checkInvariants(): void {
    checkStallInvariants(this.s);
  }
}
