/**
 * A model of `__alloc_pages_slowpath` (v4.9 shape) driven by simulated time, so that allocation
 * stalls arise from mechanisms instead of being scripted:
 *
 * - direct reclaim isolates up to SWAP_CLUSTER_MAX page-cache pages, spends CPU time per page,
 *   waits for writeback when the batch holds dirty pages (blocked on I/O), and then runs a
 *   filesystem shrinker serialised by a mutex (blocked on a lock);
 * - too_many_isolated() throttles direct reclaimers with congestion_wait(HZ/10) while more pages
 *   are isolated than the inactive list holds (>> 3 for GFP_IO|GFP_FS) — inside reclaim, so the
 *   stall check of the retry loop is never reached;
 * - should_reclaim_retry() (MAX_RECLAIM_RETRIES = 16 no-progress loops, the available-memory
 *   estimate, the dirty/writeback congestion_wait);
 * - __alloc_pages_may_oom(): mutex_trylock(&oom_lock) or schedule_timeout_uninterruptible(1);
 *   a last attempt at the high watermark; out_of_memory(): OOM notifiers (which may block the
 *   oom_lock holder), the GFP_NOFS and costly-order exits, select_bad_process() (largest RSS,
 *   abort while an earlier victim is alive and not reaped), the kill, schedule_timeout_killable(1)
 *   with oom_lock held; the OOM reaper frees a victim's anonymous memory a little later;
 * - kswapd, woken below the high watermark, reclaiming to it.
 *
 * Every step that takes time is an event on the Scheduler; each task has one bound step function
 * and a phase, so the per-task slow path is an explicit state machine. The allocator is reached
 * only through its no-reclaim attempt (`allocPages` with the reclaim bits cleared), so any
 * PageSource with free-page and watermark numbers can sit underneath (@mm/buddy, or a test fake).
 *
 * The model implements MemallocTaskView and keeps the kmallocwd record (MemallocTable) of every
 * task: entered when the slow path begins, left when it returns.
 */
import {
  type Gfp,
  GFP_HIGHUSER_MOVABLE,
  __GFP_DIRECT_RECLAIM,
  __GFP_FS,
  __GFP_IO,
  __GFP_NOFAIL,
  __GFP_NORETRY,
  __GFP_NOWARN,
  __GFP_RECLAIM,
  __GFP_RETRY_MAYFAIL,
  MAX_PAGE_ORDER,
  MmError,
  type Order,
  MAX_RECLAIM_RETRIES,
  PAGE_ALLOC_COSTLY_ORDER,
  type PageSource,
  type Pfn,
  type Scheduler,
  type TimerHandle,
  WMARK_HIGH,
  WMARK_LOW,
  WMARK_MIN,
  type WatermarkKind,
} from "@mm/api";
import {
  DEFAULT_HZ,
  KSWAPD_FLAGS,
  type LogSink,
  type MemallocTaskView,
  PF_EXITING,
  PF_KTHREAD,
  PF_RANDOMIZE,
  type SlowpathObserver,
  TASK_DEAD,
  TASK_INTERRUPTIBLE,
  TASK_RUNNING,
  TASK_UNINTERRUPTIBLE,
} from "./api.js";
import { createPrng, type Prng } from "@mm/sim";
import { kernelComm } from "./format.js";
import { MemallocTable } from "./memalloc.js";

/** What the model needs from an allocator. */
export interface StallModelAllocator extends PageSource {
  /** NR_FREE_PAGES over all zones. */
  nrFreePages(): number;
  /** A watermark (WMARK_MIN / WMARK_LOW / WMARK_HIGH) summed over zones, in pages. */
  watermark(kind: WatermarkKind): number;
  /** Managed pages (oom_badness's totalpages). */
  totalPages(): number;
}

// What a task does between allocations.
/** Anonymous memory: allocations stay in the task's RSS (oldest freed beyond rssLimitPages). */
export const WORK_ANON = 0;
/** Writes a file: allocations become page-cache pages (dirty with dirtyFraction). */
export const WORK_FILE = 1;
/** Takes the filesystem lock, allocates with it held (GFP_NOFS), keeps it holdNs, releases. */
export const WORK_FS_HOLDER = 2;

export interface TaskSpec {
  readonly comm: string;
  /** Default: assigned from 1000 upwards. */
  readonly pid?: number;
  /** task->flags as printed (default PF_RANDOMIZE, an exec'd user process). */
  readonly flags?: number;
  readonly work: number;
  readonly gfp: Gfp;
  readonly order?: Order;
  /** Blocks allocated per wake-up (default 1). */
  readonly burst?: number;
  /** Mean sleep between bursts (uniform in [0.5, 1.5] x thinkNs). */
  readonly thinkNs: number;
  /** First wake-up (default: uniform in [0, thinkNs)). */
  readonly startNs?: number;
  /** WORK_ANON / WORK_FS_HOLDER: free the oldest blocks beyond this many pages (default: never). */
  readonly rssLimitPages?: number;
  /** WORK_FILE: probability that a new page-cache page is dirty (default 0). */
  readonly dirtyFraction?: number;
  /** WORK_FS_HOLDER: how long the lock stays held after the burst (default 0). */
  readonly holdNs?: number;
  /** After the task exits (OOM kill), a new process with a new pid takes its place after this. */
  readonly respawnNs?: number;
}

/** The block device under the page cache: one FIFO queue for every writeback request. */
export interface DiskConfig {
  /** Per request (seek + rotational latency on a disk, command overhead on flash). */
  readonly requestNs: number;
  /** Per page transferred. */
  readonly pageNs: number;
}

export interface ReclaimConfig {
  /** CPU time direct reclaim spends per page-cache page (shrink_page_list). */
  readonly costPerPageNs: number;
  /** Dirty pages in an isolated batch are written back, and the reclaimer waits for the request. */
  readonly disk: DiskConfig;
  /** SWAP_CLUSTER_MAX (default 32). */
  readonly batch?: number;
  /** too_many_isolated() + congestion_wait(HZ/10) (default true). */
  readonly throttleIsolated?: boolean;
  /**
   * A filesystem shrinker serialised by a mutex (XFS's per-AG inode reclaim lock), run by
   * __GFP_FS direct reclaim once per pass: CPU time with the mutex held (0 = no such shrinker)...
   */
  readonly fsShrinkerNs?: number;
  /** ...and metadata it writes back synchronously with the mutex held, in pages (default 0). */
  readonly fsShrinkerIoPages?: number;
}

export interface KswapdConfig {
  readonly costPerPageNs: number;
  /** Default 45. */
  readonly pid?: number;
}

export interface OomConfig {
  /** An OOM notifier blocks the oom_lock holder this long (virtio_balloon's leak_balloon waiting for the host). */
  readonly notifierBlockNs?: number;
  /** How many out_of_memory() calls block in the notifier (default: all, when notifierBlockNs > 0). */
  readonly notifierBlockCalls?: number;
  /** The OOM reaper frees a victim's anonymous memory this long after the kill (default 100 ms; null = no reaper). */
  readonly reaperDelayNs?: number | null;
}

export interface StallModelConfig {
  readonly allocator: StallModelAllocator;
  readonly scheduler: Scheduler;
  readonly tasks: readonly TaskSpec[];
  readonly reclaim: ReclaimConfig;
  /** null: no kswapd. */
  readonly kswapd?: KswapdConfig | null;
  /** null: no OOM killer (allocations that may not fail loop forever). */
  readonly oom?: OomConfig | null;
  readonly hz?: number;
  /** Seed of the model's own PRNG (@mm/sim's, forked "alloc-watchdog/model") when `random` is not given. */
  readonly seed?: number;
  /** Uniform [0, 1) source (e.g. a fork of the simulation's PRNG). */
  readonly random?: () => number;
  /** Page cache present at start (allocated from the allocator). */
  readonly initialPageCache?: { readonly pages: number; readonly dirtyFraction: number };
  /** The kmallocwd records (created if absent). */
  readonly table?: MemallocTable;
  /** Kernel log for the OOM killer's lines. */
  readonly log?: LogSink;
  /** CPU time of exit_mmap per page of a dying task (default 1 us). */
  readonly exitNsPerPage?: number;
}

/** Observes outermost slow-path episodes (ground truth for experiments). */
export interface SlowpathListener {
  begin(t: number, nowNs: number): void;
  end(t: number, nowNs: number, ok: boolean): void;
}

// Why a task in the slow path is not coming back to the retry loop right now.
export const SLOWPATH_NONE = -1;
/** Running, or sleeping a jiffy between retries: it reaches the stall check soon. */
export const SLOWPATH_LOOPING = 0;
/** Waiting for writeback of pages it isolated. */
export const SLOWPATH_IO = 1;
/** Waiting for the filesystem shrinker's mutex. */
export const SLOWPATH_LOCK = 2;
/** Throttled by too_many_isolated() inside reclaim. */
export const SLOWPATH_THROTTLED = 3;
/** Holding oom_lock, blocked in an OOM notifier. */
export const SLOWPATH_OOM_NOTIFIER = 4;
export const SLOWPATH_STATE_NAMES: readonly string[] = ["looping", "io", "lock", "throttled", "oom_notifier"];

// Task phases: where each task's state machine stands.
const P_NEW = 0;
const P_THINK = 1; // between allocations, interruptible sleep
const P_RETRY = 2; // about to run the top of the retry loop
const P_CONGESTED = 3; // too_many_isolated: congestion_wait(HZ/10)
const P_RECLAIM_WORK = 4; // shrink_page_list on the isolated batch (CPU)
const P_RECLAIM_IO = 5; // waiting for writeback of the batch
const P_LOCK_WAIT = 6; // mutex_lock(fs shrinker lock)
const P_SHRINK = 7; // running the fs shrinker with the lock held
const P_SHRINK_IO = 20; // the fs shrinker waiting for its metadata writeback, lock held
const P_BACKOFF = 8; // should_reclaim_retry's congestion_wait, or a zero-time iteration's jiffy
const P_OOM_BACKOFF = 9; // oom_lock busy: schedule_timeout_uninterruptible(1)
const P_OOM_NOTIFIER = 10; // oom_lock held, blocked in an OOM notifier
const P_OOM_SLEEP = 11; // oom_lock held: schedule_timeout_killable(1) after the kill
const P_FS_ACQUIRE = 12; // WORK_FS_HOLDER waiting for the fs lock
const P_FS_HOLD = 13; // WORK_FS_HOLDER holding the lock after its burst
const P_EXITING = 14; // exit_mmap
const P_DEAD = 15;
const P_RESPAWN = 16;
const K_SLEEP = 17;
const K_WORK = 18;
const K_IO = 19;

/** Phases that are inside __alloc_pages_slowpath. */
function inSlowpath(p: number): boolean {
  return (p >= P_RETRY && p <= P_OOM_SLEEP) || p === P_SHRINK_IO;
}

/** The initial page cache: a mapping's GFP_HIGHUSER_MOVABLE, without reclaim (it is boot-time fill). */
const PAGECACHE_GFP = (GFP_HIGHUSER_MOVABLE & ~__GFP_RECLAIM) | __GFP_NOWARN;
const SWAP_CLUSTER_MAX = 32;
const NO_TASK = -1;
/** select_bad_process() found a live victim not yet reaped: wait for it. */
const OOM_ABORT = -2;

export interface StallModelStats {
  /** Blocks handed to tasks. */
  allocations: number;
  /** Outermost slow-path entries. */
  slowpaths: number;
  /** Allocations that returned NULL. */
  failures: number;
  directReclaimed: number;
  kswapdReclaimed: number;
  /** congestion_wait() calls from too_many_isolated(). */
  throttled: number;
  /** Pages written back by reclaim (dirty page cache and shrinker metadata). */
  writebackPages: number;
  /** oom_lock trylock failures. */
  oomLockBusy: number;
  oomKills: number;
  reaped: number;
  exits: number;
}

export class AllocStallModel implements MemallocTaskView {
  readonly table: MemallocTable;
  readonly hz: number;
  readonly stats: StallModelStats = {
    allocations: 0,
    slowpaths: 0,
    failures: 0,
    directReclaimed: 0,
    kswapdReclaimed: 0,
    throttled: 0,
    writebackPages: 0,
    oomLockBusy: 0,
    oomKills: 0,
    reaped: 0,
    exits: 0,
  };
  /** out_of_memory() calls (kmallocwd's out_of_memory_count). */
  oomCount = 0;

  private readonly cfg: StallModelConfig;
  private readonly alloc: StallModelAllocator;
  private readonly sched: Scheduler;
  private readonly rand: () => number;
  private readonly n: number;
  private readonly kswapd: number; // task index of kswapd, or NO_TASK
  private readonly specOf: Int32Array; // task -> index into cfg.tasks (-1: kswapd)
  private readonly batch: number;
  private readonly jiffyNs: number;
  private readonly observers: SlowpathObserver[] = [];
  /** Every MemallocTable kept up to date: the primary one plus any added (one per watchdog). */
  private readonly tables: MemallocTable[] = [];
  private readonly listeners: SlowpathListener[] = [];
  private started = false;
  private nextPid = 1000;

  // task_struct, as struct-of-arrays
  private readonly comms: string[];
  private readonly pids: Int32Array;
  private readonly pflags: Uint32Array;
  private readonly tstate: Uint8Array;
  private readonly nswitch: Float64Array;
  private readonly victim: Uint8Array;
  private readonly sigkill: Uint8Array;
  private readonly oomSkip: Uint8Array; // MMF_OOM_SKIP on the victim's mm
  // the state machine
  private readonly phase: Uint8Array;
  private readonly timers: (TimerHandle | null)[];
  private readonly steps: (() => void)[];
  // the allocation in progress
  private readonly agfp: Uint32Array;
  private readonly aorder: Uint8Array;
  private readonly allocStart: Float64Array;
  private readonly iterStart: Float64Array;
  private readonly noProgress: Uint8Array;
  private readonly progress: Int32Array;
  private readonly burstLeft: Int32Array;
  // isolated pages, SWAP_CLUSTER_MAX slots per task
  private readonly isoPfn: Int32Array;
  private readonly isoN: Int32Array;
  private readonly isoDirty: Int32Array;
  private isolatedTotal = 0;
  // RSS: per-task FIFO of blocks in a pooled linked list
  private blkPfn = new Int32Array(1024);
  private blkOrder = new Uint8Array(1024);
  private blkNext = new Int32Array(1024);
  private blkFree = -1;
  private blkUsed = 0;
  private readonly rssHead: Int32Array;
  private readonly rssTail: Int32Array;
  private readonly rssPages: Float64Array;
  // page cache LRU: ring of order-0 pfns, oldest at cacheHead
  private cachePfn = new Int32Array(1024);
  private cacheDirtyBit = new Uint8Array(1024);
  private cacheHead = 0;
  private cacheLen = 0;
  private cacheDirty = 0;
  // locks
  private fsLockOwner = NO_TASK;
  private readonly fsWaiters: Int32Array; // FIFO ring
  private fsWHead = 0;
  private fsWLen = 0;
  private oomLockOwner = NO_TASK;
  private notifierCallsLeft: number;
  private kswapdNextWakeNs = 0;
  /** When the disk finishes the requests queued so far. */
  private diskBusyUntil = 0;

  constructor(cfg: StallModelConfig) {
    this.cfg = cfg;
    this.alloc = cfg.allocator;
    this.sched = cfg.scheduler;
    this.hz = cfg.hz ?? DEFAULT_HZ;
    if (!(this.hz > 0)) throw new MmError("BAD_CONFIG", `HZ must be > 0, got ${this.hz}`);
    this.jiffyNs = 1e9 / this.hz;
    const own = cfg.random === undefined ? createPrng(cfg.seed ?? 1).fork("alloc-watchdog/model") : null;
    this.rand = cfg.random ?? (() => (own as Prng).nextFloat());
    this.batch = cfg.reclaim.batch ?? SWAP_CLUSTER_MAX;
    const d = cfg.reclaim.disk;
    if (!(this.batch >= 1) || !(cfg.reclaim.costPerPageNs >= 0) || !(d.requestNs >= 0) || !(d.pageNs >= 0))
      throw new MmError("BAD_CONFIG", "reclaim needs batch >= 1 and non-negative costs");
    for (const s of cfg.tasks) {
      const order = s.order ?? 0;
      if (!Number.isInteger(order) || order < 0 || order > MAX_PAGE_ORDER) throw new MmError("BAD_ORDER", `task ${s.comm}: order ${order}`);
      if (s.work !== WORK_ANON && s.work !== WORK_FILE && s.work !== WORK_FS_HOLDER) throw new MmError("BAD_CONFIG", `task ${s.comm}: unknown work ${s.work}`);
      if (s.work === WORK_FILE && order !== 0) throw new MmError("BAD_CONFIG", `task ${s.comm}: page cache is order 0`);
      if (!(s.thinkNs > 0)) throw new MmError("BAD_CONFIG", `task ${s.comm}: thinkNs must be > 0`);
    }
    const hasK = cfg.kswapd !== null && cfg.kswapd !== undefined;
    this.kswapd = hasK ? 0 : NO_TASK;
    const n = cfg.tasks.length + (hasK ? 1 : 0);
    this.n = n;
    this.table = cfg.table ?? new MemallocTable({ capacity: n });
    this.table.ensureCapacity(n);
    this.tables.push(this.table);
    this.notifierCallsLeft = (cfg.oom?.notifierBlockNs ?? 0) > 0 ? (cfg.oom?.notifierBlockCalls ?? Infinity) : 0;

    this.comms = new Array<string>(n).fill("");
    this.pids = new Int32Array(n);
    this.pflags = new Uint32Array(n);
    this.tstate = new Uint8Array(n);
    this.nswitch = new Float64Array(n);
    this.victim = new Uint8Array(n);
    this.sigkill = new Uint8Array(n);
    this.oomSkip = new Uint8Array(n);
    this.phase = new Uint8Array(n);
    this.timers = new Array<TimerHandle | null>(n).fill(null);
    this.steps = [];
    this.agfp = new Uint32Array(n);
    this.aorder = new Uint8Array(n);
    this.allocStart = new Float64Array(n);
    this.iterStart = new Float64Array(n);
    this.noProgress = new Uint8Array(n);
    this.progress = new Int32Array(n);
    this.burstLeft = new Int32Array(n);
    this.isoPfn = new Int32Array(n * this.batch);
    this.isoN = new Int32Array(n);
    this.isoDirty = new Int32Array(n);
    this.rssHead = new Int32Array(n).fill(-1);
    this.rssTail = new Int32Array(n).fill(-1);
    this.rssPages = new Float64Array(n);
    this.fsWaiters = new Int32Array(n);
    this.specOf = new Int32Array(n);
    for (let t = 0; t < n; t++) {
      const step = (): void => this.run(t);
      this.steps.push(step);
    }
    if (hasK) {
      this.specOf[0] = -1;
      this.comms[0] = "kswapd0";
      this.pids[0] = cfg.kswapd?.pid ?? 45;
      this.pflags[0] = KSWAPD_FLAGS;
      this.phase[0] = K_SLEEP;
      this.tstate[0] = TASK_INTERRUPTIBLE;
    }
    const used = new Set<number>();
    for (let i = 0; i < cfg.tasks.length; i++) {
      const t = i + (hasK ? 1 : 0);
      const s = cfg.tasks[i];
      this.specOf[t] = i;
      this.comms[t] = kernelComm(s.comm);
      this.pids[t] = s.pid ?? this.takePid(used);
      used.add(this.pids[t]);
      this.pflags[t] = s.flags ?? PF_RANDOMIZE;
      this.phase[t] = P_NEW;
      this.tstate[t] = TASK_INTERRUPTIBLE;
    }
  }

  private takePid(used: Set<number>): number {
    while (used.has(this.nextPid)) this.nextPid++;
    return this.nextPid++;
  }

  // ---- MemallocTaskView ----
  get taskCount(): number {
    return this.n;
  }
  comm(t: number): string {
    return this.comms[t];
  }
  pid(t: number): number {
    return this.pids[t];
  }
  flags(t: number): number {
    return this.pflags[t];
  }
  switches(t: number): number {
    return this.nswitch[t];
  }
  state(t: number): number {
    return this.tstate[t];
  }
  isOomVictim(t: number): boolean {
    return this.victim[t] !== 0;
  }
  fatalSignalPending(t: number): boolean {
    return this.sigkill[t] !== 0;
  }

  // ---- wiring ----
  /** A reporter that wants the slow path's stall check / failure report (warn_alloc). */
  addObserver(o: SlowpathObserver): void {
    this.observers.push(o);
  }
  addListener(l: SlowpathListener): void {
    this.listeners.push(l);
  }
  /**
   * Keep another MemallocTable in step (before start()). Each watchdog needs its own: the
   * in-flight counter flip of one watchdog's scan must not steer another's.
   */
  addTable(table: MemallocTable): void {
    if (this.started) throw new MmError("BAD_STATE", "add tables before start()");
    table.ensureCapacity(this.n);
    this.tables.push(table);
  }

  /** Task index of kswapd, or -1. */
  get kswapdIndex(): number {
    return this.kswapd;
  }

  /** Where a task inside the slow path stands (SLOWPATH_*), SLOWPATH_NONE outside it. */
  slowpathState(t: number): number {
    const p = this.phase[t];
    if (!inSlowpath(p)) return SLOWPATH_NONE;
    if (p === P_RECLAIM_IO || p === P_SHRINK_IO) return SLOWPATH_IO;
    if (p === P_LOCK_WAIT) return SLOWPATH_LOCK;
    if (p === P_CONGESTED) return SLOWPATH_THROTTLED;
    if (p === P_OOM_NOTIFIER) return SLOWPATH_OOM_NOTIFIER;
    return SLOWPATH_LOOPING;
  }

  /** Page-cache pages on the LRU (not isolated). */
  get pageCachePages(): number {
    return this.cacheLen;
  }
  get dirtyPages(): number {
    return this.cacheDirty;
  }
  rss(t: number): number {
    return this.rssPages[t];
  }
  /** Pages the model holds: page cache + isolated + every task's RSS. */
  pagesHeld(): number {
    let s = this.cacheLen + this.isolatedTotal;
    for (let t = 0; t < this.n; t++) s += this.rssPages[t];
    return s;
  }

  /** Fill the initial page cache and schedule every task's first wake-up. */
  start(): void {
    if (this.started) throw new MmError("BAD_STATE", "model already started");
    this.started = true;
    const pc = this.cfg.initialPageCache;
    if (pc !== undefined) {
      for (let i = 0; i < pc.pages; i++) {
        const pfn = this.alloc.allocPages(0, PAGECACHE_GFP);
        if (pfn < 0) break;
        this.cachePush(pfn, this.rand() < pc.dirtyFraction);
      }
    }
    for (let t = 0; t < this.n; t++) {
      if (t === this.kswapd) continue;
      const s = this.cfg.tasks[this.specOf[t]];
      const first = s.startNs ?? this.rand() * s.thinkNs;
      this.phase[t] = P_THINK;
      this.timers[t] = this.sched.schedule(Math.round(first), this.steps[t]);
    }
    this.wakeKswapd();
  }

  // ---- the state machine ----
  private run(t: number): void {
    this.timers[t] = null;
    switch (this.phase[t]) {
      case P_THINK:
        if (this.sigkill[t]) return this.doExit(t);
        return this.beginBurst(t);
      case P_RETRY:
      case P_BACKOFF:
      case P_OOM_BACKOFF:
        return this.retry(t);
      case P_CONGESTED:
        // shrink_inactive_list bails out with SWAP_CLUSTER_MAX for a killed task
        if (this.sigkill[t]) {
          this.progress[t] += this.batch;
          return this.afterReclaim(t);
        }
        return this.reclaimBegin(t);
      case P_RECLAIM_WORK:
        if (this.isoDirty[t] > 0) return this.block(t, P_RECLAIM_IO, TASK_UNINTERRUPTIBLE, this.writeback(this.isoDirty[t]));
        return this.reclaimFree(t);
      case P_RECLAIM_IO:
        return this.reclaimFree(t);
      case P_LOCK_WAIT: // handed the lock
        return this.busy(t, P_SHRINK, this.cfg.reclaim.fsShrinkerNs ?? 0);
      case P_SHRINK: {
        const io = this.cfg.reclaim.fsShrinkerIoPages ?? 0;
        if (io > 0) return this.block(t, P_SHRINK_IO, TASK_UNINTERRUPTIBLE, this.writeback(io));
        this.fsUnlock(t);
        return this.afterReclaim(t);
      }
      case P_SHRINK_IO:
        this.fsUnlock(t);
        return this.afterReclaim(t);
      case P_OOM_NOTIFIER:
        return this.oomAfterNotifier(t);
      case P_OOM_SLEEP:
        this.oomLockOwner = NO_TASK;
        this.noProgress[t] = 0;
        return this.retry(t);
      case P_FS_ACQUIRE: // handed the lock
        if (this.sigkill[t]) {
          this.fsUnlock(t);
          return this.doExit(t);
        }
        return this.allocLoop(t);
      case P_FS_HOLD:
        this.fsUnlock(t);
        return this.think(t);
      case P_EXITING:
        return this.finishExit(t);
      case P_RESPAWN:
        return this.respawn(t);
      case K_SLEEP:
        return this.kswapdRun();
      case K_WORK:
        if (this.isoDirty[t] > 0) return this.block(t, K_IO, TASK_UNINTERRUPTIBLE, this.writeback(this.isoDirty[t]));
        this.stats.kswapdReclaimed += this.freeIsolated(t);
        return this.kswapdRun();
      case K_IO:
        this.stats.kswapdReclaimed += this.freeIsolated(t);
        return this.kswapdRun();
      default:
        throw new MmError("BAD_STATE", `task ${t} woke in phase ${this.phase[t]}`, { t });
    }
  }

  /** Queue a writeback request of `pages`; returns how long until it completes. */
  private writeback(pages: number): number {
    const now = this.sched.now();
    const d = this.cfg.reclaim.disk;
    this.diskBusyUntil = Math.max(now, this.diskBusyUntil) + d.requestNs + pages * d.pageNs;
    this.stats.writebackPages += pages;
    return this.diskBusyUntil - now;
  }

  /** Sleep (state != RUNNING: a voluntary switch) or keep the CPU (RUNNING) until delayNs. */
  private block(t: number, phase: number, state: number, delayNs: number): void {
    this.phase[t] = phase;
    this.tstate[t] = state;
    this.nswitch[t]++;
    // whole nanoseconds: schedulers may insist on integer delays
    this.timers[t] = this.sched.schedule(Math.round(delayNs), this.steps[t]);
  }

  private busy(t: number, phase: number, delayNs: number): void {
    this.phase[t] = phase;
    this.tstate[t] = TASK_RUNNING;
    this.timers[t] = this.sched.schedule(Math.round(delayNs), this.steps[t]);
  }

  /** Sleep with no timer: someone else wakes the task (mutex hand-off, kswapd wakeup). */
  private wait(t: number, phase: number, state: number): void {
    this.phase[t] = phase;
    this.tstate[t] = state;
    this.nswitch[t]++;
  }

  private think(t: number): void {
    const s = this.cfg.tasks[this.specOf[t]];
    this.block(t, P_THINK, TASK_INTERRUPTIBLE, s.thinkNs * (0.5 + this.rand()));
  }

  private beginBurst(t: number): void {
    const s = this.cfg.tasks[this.specOf[t]];
    this.tstate[t] = TASK_RUNNING;
    this.burstLeft[t] = s.burst ?? 1;
    this.agfp[t] = s.gfp;
    this.aorder[t] = s.order ?? 0;
    if (s.work === WORK_FS_HOLDER) {
      if (this.fsLockOwner === NO_TASK) this.fsLockOwner = t;
      else return this.fsEnqueue(t, P_FS_ACQUIRE);
    }
    this.allocLoop(t);
  }

  /** The burst: fast path per block; a failure enters the slow path for that block. */
  private allocLoop(t: number): void {
    this.tstate[t] = TASK_RUNNING;
    const s = this.cfg.tasks[this.specOf[t]];
    while (this.burstLeft[t] > 0) {
      if (this.sigkill[t]) return this.doExit(t);
      const pfn = this.attempt(t, WMARK_LOW);
      if (pfn >= 0) {
        this.gotBlock(t, pfn);
        continue;
      }
      const gfp = this.agfp[t];
      if (!(gfp & __GFP_DIRECT_RECLAIM)) {
        // an atomic allocation: one try at the min watermark, then NULL
        this.wakeKswapd();
        const p2 = this.attempt(t, WMARK_MIN);
        if (p2 >= 0) this.gotBlock(t, p2);
        else {
          this.stats.failures++;
          for (const o of this.observers) o.allocFailure(t, gfp, this.aorder[t]);
          this.burstLeft[t]--;
        }
        continue;
      }
      // __alloc_pages_slowpath
      const now = this.sched.now();
      this.stats.slowpaths++;
      this.allocStart[t] = now;
      this.noProgress[t] = 0;
      for (const tb of this.tables) tb.enter(t, gfp, this.aorder[t], now);
      for (const l of this.listeners) l.begin(t, now);
      return this.retry(t);
    }
    if (s.work === WORK_FS_HOLDER) return this.busy(t, P_FS_HOLD, s.holdNs ?? 0);
    this.think(t);
  }

  private gotBlock(t: number, pfn: Pfn): void {
    this.stats.allocations++;
    this.burstLeft[t]--;
    const s = this.cfg.tasks[this.specOf[t]];
    if (s.work === WORK_FILE) this.cachePush(pfn, this.rand() < (s.dirtyFraction ?? 0));
    else {
      this.rssPush(t, pfn, this.aorder[t]);
      const limit = s.rssLimitPages ?? Infinity;
      while (this.rssPages[t] > limit) this.rssFreeOldest(t);
    }
  }

  /** get_page_from_freelist at a watermark, through the allocator's no-reclaim attempt. */
  private attempt(t: number, mark: WatermarkKind): Pfn {
    const need = 1 << this.aorder[t];
    // zone_watermark_ok: free - (2^order - 1) must stay above the mark
    if (this.alloc.nrFreePages() - (need - 1) <= this.alloc.watermark(mark)) return -1;
    return this.alloc.allocPages(this.aorder[t], (this.agfp[t] & ~__GFP_RECLAIM) | __GFP_NOWARN);
  }

  /** Top of the retry loop. */
  private retry(t: number): void {
    const now = this.sched.now();
    this.iterStart[t] = now;
    this.tstate[t] = TASK_RUNNING;
    this.phase[t] = P_RETRY;
    if (this.sigkill[t]) return this.nopage(t);
    this.wakeKswapd();
    const pfn = this.attempt(t, WMARK_MIN);
    if (pfn >= 0) return this.gotPage(t, pfn);
    // the v4.9–v4.14 stall check sits here: after a failed attempt, before direct reclaim
    const gfp = this.agfp[t];
    for (const o of this.observers) o.stallCheck(t, gfp, this.aorder[t], this.allocStart[t]);
    this.progress[t] = 0;
    this.reclaimBegin(t);
  }

  private tooManyIsolated(t: number): boolean {
    if (t === this.kswapd || this.cfg.reclaim.throttleIsolated === false) return false;
    let inactive = this.cacheLen;
    // GFP_NOIO/GFP_NOFS callers may get more isolated pages, to avoid deadlocks on the fs/io they hold
    if ((this.agfp[t] & (__GFP_IO | __GFP_FS)) === (__GFP_IO | __GFP_FS)) inactive = Math.floor(inactive / 8);
    return this.isolatedTotal > inactive;
  }

  /** shrink_inactive_list: throttle, isolate, work. */
  private reclaimBegin(t: number): void {
    if (this.tooManyIsolated(t)) {
      this.stats.throttled++;
      return this.block(t, P_CONGESTED, TASK_UNINTERRUPTIBLE, Math.floor(this.hz / 10) * this.jiffyNs);
    }
    const n = this.isolate(t);
    if (n === 0) return this.reclaimShrinkers(t);
    this.busy(t, P_RECLAIM_WORK, n * this.cfg.reclaim.costPerPageNs);
  }

  private reclaimFree(t: number): void {
    const n = this.freeIsolated(t);
    this.stats.directReclaimed += n;
    this.progress[t] += n;
    this.reclaimShrinkers(t);
  }

  /** shrink_slab: the fs shrinker under its mutex, for __GFP_FS reclaim only. */
  private reclaimShrinkers(t: number): void {
    const ns = this.cfg.reclaim.fsShrinkerNs ?? 0;
    // a task already holding the fs lock cannot take it again (GFP_NOFS exists for that)
    if (ns > 0 && this.agfp[t] & __GFP_FS && this.fsLockOwner !== t) {
      if (this.fsLockOwner === NO_TASK) {
        this.fsLockOwner = t;
        return this.busy(t, P_SHRINK, ns);
      }
      return this.fsEnqueue(t, P_LOCK_WAIT);
    }
    this.afterReclaim(t);
  }

  /** Back in __alloc_pages_direct_reclaim: try again, then decide whether to loop. */
  private afterReclaim(t: number): void {
    this.tstate[t] = TASK_RUNNING;
    this.phase[t] = P_RETRY;
    const pfn = this.attempt(t, WMARK_MIN);
    if (pfn >= 0) return this.gotPage(t, pfn);
    const gfp = this.agfp[t];
    const order = this.aorder[t];
    if (gfp & __GFP_NORETRY) return this.nopage(t);
    if (order > PAGE_ALLOC_COSTLY_ORDER && !(gfp & __GFP_RETRY_MAYFAIL)) return this.nopage(t);
    const progress = this.progress[t];
    // should_reclaim_retry()
    if (progress > 0 && order <= PAGE_ALLOC_COSTLY_ORDER) this.noProgress[t] = 0;
    else this.noProgress[t]++;
    if (this.noProgress[t] <= MAX_RECLAIM_RETRIES) {
      const reclaimable = this.cacheLen;
      let available = reclaimable + this.alloc.nrFreePages();
      available -= Math.ceil((this.noProgress[t] * available) / MAX_RECLAIM_RETRIES);
      if (available - ((1 << order) - 1) > this.alloc.watermark(WMARK_MIN)) {
        // lots of dirty/writeback pages: wait for the flushers instead of spinning
        if (progress === 0 && 2 * this.cacheDirty > reclaimable)
          return this.block(t, P_BACKOFF, TASK_UNINTERRUPTIBLE, Math.floor(this.hz / 10) * this.jiffyNs);
        return this.loopAgain(t);
      }
    }
    this.mayOom(t);
  }

  /** goto retry; an iteration that took no simulated time costs a jiffy (stands in for cond_resched and the loop's CPU time). */
  private loopAgain(t: number): void {
    if (this.sched.now() === this.iterStart[t]) return this.block(t, P_BACKOFF, TASK_UNINTERRUPTIBLE, this.jiffyNs);
    this.retry(t);
  }

  /** __alloc_pages_may_oom. */
  private mayOom(t: number): void {
    if (this.oomLockOwner !== NO_TASK) {
      this.stats.oomLockBusy++;
      this.noProgress[t] = 0; // did_some_progress = 1
      return this.block(t, P_OOM_BACKOFF, TASK_UNINTERRUPTIBLE, this.jiffyNs);
    }
    this.oomLockOwner = t;
    const pfn = this.attempt(t, WMARK_HIGH);
    if (pfn >= 0) {
      this.oomLockOwner = NO_TASK;
      return this.gotPage(t, pfn);
    }
    const gfp = this.agfp[t];
    const oom = this.cfg.oom;
    // no OOM killer for costly orders or __GFP_RETRY_MAYFAIL: those may fail
    if (oom === null || oom === undefined || (!(gfp & __GFP_NOFAIL) && (this.aorder[t] > PAGE_ALLOC_COSTLY_ORDER || gfp & __GFP_RETRY_MAYFAIL))) {
      this.oomLockOwner = NO_TASK;
      return this.nopage(t);
    }
    // out_of_memory()
    this.oomCount++;
    if (this.notifierCallsLeft > 0) {
      this.notifierCallsLeft--;
      return this.block(t, P_OOM_NOTIFIER, TASK_UNINTERRUPTIBLE, oom.notifierBlockNs ?? 0);
    }
    this.oomAfterNotifier(t);
  }

  /** out_of_memory() after the notifier chain (which frees nothing here). */
  private oomAfterNotifier(t: number): void {
    this.tstate[t] = TASK_RUNNING;
    this.phase[t] = P_RETRY;
    const gfp = this.agfp[t];
    if (this.sigkill[t] || this.pflags[t] & PF_EXITING) {
      // task_will_free_mem(current): let it exit with access to reserves
      this.victim[t] = 1;
      this.oomLockOwner = NO_TASK;
      return this.retry(t);
    }
    if (!(gfp & (__GFP_FS | __GFP_NOFAIL))) {
      // "The OOM killer does not compensate for IO-less reclaim": report progress, kill nothing
      this.oomLockOwner = NO_TASK;
      this.noProgress[t] = 0;
      return this.loopAgain(t);
    }
    const v = this.selectBadProcess();
    if (v === OOM_ABORT) {
      this.oomLockOwner = NO_TASK;
      this.noProgress[t] = 0;
      return this.loopAgain(t);
    }
    if (v === NO_TASK) {
      // the kernel panics ("Out of memory and no killable processes..."); the model fails the allocation
      this.oomLockOwner = NO_TASK;
      return this.nopage(t);
    }
    this.oomKill(v);
    // "Give the killed process a good chance to exit": schedule_timeout_killable(1), oom_lock held
    this.block(t, P_OOM_SLEEP, TASK_INTERRUPTIBLE, this.jiffyNs);
  }

  /** select_bad_process(): largest RSS; abort while a victim is alive and not reaped. */
  private selectBadProcess(): number {
    let best = NO_TASK;
    let bestPoints = 0;
    for (let t = 0; t < this.n; t++) {
      const p = this.phase[t];
      if (p === P_DEAD || p === P_RESPAWN || this.pflags[t] & PF_KTHREAD) continue;
      if (this.victim[t] && !this.oomSkip[t]) return OOM_ABORT;
      const points = Math.max(1, this.rssPages[t]);
      if (points > bestPoints) {
        best = t;
        bestPoints = points;
      }
    }
    return best;
  }

  private oomKill(v: number): void {
    this.stats.oomKills++;
    const total = this.alloc.totalPages();
    const rss = this.rssPages[v];
    const score = Math.floor((Math.max(1, rss) * 1000) / Math.max(1, total));
    const log = this.cfg.log;
    if (log !== undefined) {
      // v4.9 oom_kill_process(); the model has no separate VM size, so total-vm is the anon RSS
      log(`Out of memory: Kill process ${this.pids[v]} (${this.comms[v]}) score ${score} or sacrifice child`);
      log(`Killed process ${this.pids[v]} (${this.comms[v]}) total-vm:${rss * 4}kB, anon-rss:${rss * 4}kB, file-rss:0kB, shmem-rss:0kB`);
    }
    this.sigkill[v] = 1;
    this.victim[v] = 1;
    // a killable/interruptible sleep ends now; uninterruptible waits run to their end
    if (this.tstate[v] === TASK_INTERRUPTIBLE && this.timers[v] !== null) {
      this.timers[v]?.cancel();
      this.timers[v] = this.sched.schedule(0, this.steps[v]);
    }
    const delay = this.cfg.oom?.reaperDelayNs === undefined ? 100e6 : this.cfg.oom.reaperDelayNs;
    if (delay !== null) {
      const pid = this.pids[v];
      this.sched.schedule(Math.round(delay), () => this.reap(v, pid));
    }
  }

  /** oom_reap_task: free the victim's anonymous memory and set MMF_OOM_SKIP. */
  private reap(v: number, pid: number): void {
    if (this.pids[v] !== pid || this.phase[v] === P_DEAD || this.phase[v] === P_RESPAWN) return;
    this.stats.reaped += this.rssPages[v];
    this.rssFreeAll(v);
    this.oomSkip[v] = 1;
  }

  private gotPage(t: number, pfn: Pfn): void {
    this.leaveSlowpath(t, true);
    this.gotBlock(t, pfn);
    this.allocLoop(t);
  }

  /** nopage: warn_alloc's failure report (not for a dying task), return NULL. */
  private nopage(t: number): void {
    this.leaveSlowpath(t, false);
    this.stats.failures++;
    this.burstLeft[t]--;
    if (this.sigkill[t]) return this.doExit(t);
    for (const o of this.observers) o.allocFailure(t, this.agfp[t], this.aorder[t]);
    this.allocLoop(t);
  }

  private leaveSlowpath(t: number, ok: boolean): void {
    const now = this.sched.now();
    for (const tb of this.tables) tb.exit(t, this.agfp[t]);
    for (const l of this.listeners) l.end(t, now, ok);
    this.tstate[t] = TASK_RUNNING;
  }

  // ---- exit, respawn ----
  private doExit(t: number): void {
    if (this.fsLockOwner === t) this.fsUnlock(t);
    if (this.oomLockOwner === t) this.oomLockOwner = NO_TASK;
    this.pflags[t] |= PF_EXITING;
    this.busy(t, P_EXITING, this.rssPages[t] * (this.cfg.exitNsPerPage ?? 1000));
  }

  private finishExit(t: number): void {
    this.stats.exits++;
    this.rssFreeAll(t);
    this.phase[t] = P_DEAD;
    this.tstate[t] = TASK_DEAD;
    this.victim[t] = 0; // exit_oom_victim
    this.sigkill[t] = 0;
    for (const tb of this.tables) tb.reset(t);
    const s = this.cfg.tasks[this.specOf[t]];
    if (s.respawnNs !== undefined) {
      this.phase[t] = P_RESPAWN;
      this.timers[t] = this.sched.schedule(Math.round(s.respawnNs), this.steps[t]);
    }
  }

  private respawn(t: number): void {
    const s = this.cfg.tasks[this.specOf[t]];
    this.pids[t] = this.nextPid++;
    this.pflags[t] = s.flags ?? PF_RANDOMIZE;
    this.nswitch[t] = 0;
    this.oomSkip[t] = 0;
    this.beginBurst(t);
  }

  // ---- kswapd ----
  private wakeKswapd(): void {
    const k = this.kswapd;
    if (k === NO_TASK || this.phase[k] !== K_SLEEP || this.timers[k] !== null) return;
    if (this.sched.now() < this.kswapdNextWakeNs) return;
    if (this.alloc.nrFreePages() > this.alloc.watermark(WMARK_HIGH)) return;
    this.tstate[k] = TASK_RUNNING;
    this.timers[k] = this.sched.schedule(0, this.steps[k]);
  }

  /** balance_pgdat: reclaim batches until free is above the high watermark. */
  private kswapdRun(): void {
    const k = this.kswapd;
    if (this.alloc.nrFreePages() > this.alloc.watermark(WMARK_HIGH)) return this.wait(k, K_SLEEP, TASK_INTERRUPTIBLE);
    const n = this.isolate(k);
    if (n === 0) {
      // nothing reclaimable: sleep, and ignore wakeups for HZ/10 (kswapd_failures back-off)
      this.kswapdNextWakeNs = this.sched.now() + Math.floor(this.hz / 10) * this.jiffyNs;
      return this.wait(k, K_SLEEP, TASK_INTERRUPTIBLE);
    }
    this.busy(k, K_WORK, n * (this.cfg.kswapd?.costPerPageNs ?? 0));
  }

  // ---- locks ----
  private fsEnqueue(t: number, phase: number): void {
    const cap = this.fsWaiters.length;
    this.fsWaiters[(this.fsWHead + this.fsWLen) % cap] = t;
    this.fsWLen++;
    this.wait(t, phase, TASK_UNINTERRUPTIBLE);
  }

  /** mutex_unlock with hand-off to the first waiter (FIFO). */
  private fsUnlock(t: number): void {
    if (this.fsLockOwner !== t) throw new MmError("BAD_STATE", `task ${t} does not hold the fs lock`, { t });
    if (this.fsWLen === 0) {
      this.fsLockOwner = NO_TASK;
      return;
    }
    const next = this.fsWaiters[this.fsWHead];
    this.fsWHead = (this.fsWHead + 1) % this.fsWaiters.length;
    this.fsWLen--;
    this.fsLockOwner = next;
    this.tstate[next] = TASK_RUNNING;
    this.timers[next] = this.sched.schedule(0, this.steps[next]);
  }

  // ---- page cache, isolation, RSS ----
  private cachePush(pfn: Pfn, dirty: boolean): void {
    if (this.cacheLen === this.cachePfn.length) {
      const cap = this.cachePfn.length * 2;
      const p = new Int32Array(cap);
      const d = new Uint8Array(cap);
      for (let i = 0; i < this.cacheLen; i++) {
        const j = (this.cacheHead + i) & (this.cachePfn.length - 1);
        p[i] = this.cachePfn[j];
        d[i] = this.cacheDirtyBit[j];
      }
      this.cachePfn = p;
      this.cacheDirtyBit = d;
      this.cacheHead = 0;
    }
    const j = (this.cacheHead + this.cacheLen) & (this.cachePfn.length - 1);
    this.cachePfn[j] = pfn;
    this.cacheDirtyBit[j] = dirty ? 1 : 0;
    this.cacheLen++;
    if (dirty) this.cacheDirty++;
  }

  /** isolate_lru_pages: up to `batch` of the oldest page-cache pages. */
  private isolate(t: number): number {
    const n = Math.min(this.batch, this.cacheLen);
    const base = t * this.batch;
    const mask = this.cachePfn.length - 1;
    let dirty = 0;
    for (let i = 0; i < n; i++) {
      const j = this.cacheHead;
      this.isoPfn[base + i] = this.cachePfn[j];
      dirty += this.cacheDirtyBit[j];
      this.cacheHead = (j + 1) & mask;
    }
    this.cacheLen -= n;
    this.cacheDirty -= dirty;
    this.isoN[t] = n;
    this.isoDirty[t] = dirty;
    this.isolatedTotal += n;
    return n;
  }

  private freeIsolated(t: number): number {
    const n = this.isoN[t];
    const base = t * this.batch;
    for (let i = 0; i < n; i++) this.alloc.freePages(this.isoPfn[base + i], 0);
    this.isoN[t] = 0;
    this.isoDirty[t] = 0;
    this.isolatedTotal -= n;
    return n;
  }

  private rssPush(t: number, pfn: Pfn, order: Order): void {
    let b = this.blkFree;
    if (b >= 0) this.blkFree = this.blkNext[b];
    else {
      if (this.blkUsed === this.blkPfn.length) {
        const cap = this.blkPfn.length * 2;
        const p = new Int32Array(cap);
        p.set(this.blkPfn);
        const o = new Uint8Array(cap);
        o.set(this.blkOrder);
        const nx = new Int32Array(cap);
        nx.set(this.blkNext);
        this.blkPfn = p;
        this.blkOrder = o;
        this.blkNext = nx;
      }
      b = this.blkUsed++;
    }
    this.blkPfn[b] = pfn;
    this.blkOrder[b] = order;
    this.blkNext[b] = -1;
    if (this.rssTail[t] >= 0) this.blkNext[this.rssTail[t]] = b;
    else this.rssHead[t] = b;
    this.rssTail[t] = b;
    this.rssPages[t] += 1 << order;
  }

  private rssFreeOldest(t: number): void {
    const b = this.rssHead[t];
    if (b < 0) return;
    this.rssHead[t] = this.blkNext[b];
    if (this.rssHead[t] < 0) this.rssTail[t] = -1;
    this.alloc.freePages(this.blkPfn[b], this.blkOrder[b]);
    this.rssPages[t] -= 1 << this.blkOrder[b];
    this.blkNext[b] = this.blkFree;
    this.blkFree = b;
  }

  private rssFreeAll(t: number): void {
    while (this.rssHead[t] >= 0) this.rssFreeOldest(t);
  }

  /** Throws MmError("INVARIANT") when the model's books do not balance. */
  checkInvariants(): void {
    for (const tb of this.tables) tb.checkInvariants();
    let dirty = 0;
    for (let i = 0; i < this.cacheLen; i++) dirty += this.cacheDirtyBit[(this.cacheHead + i) & (this.cachePfn.length - 1)];
    if (dirty !== this.cacheDirty) throw new MmError("INVARIANT", `dirty count ${this.cacheDirty} != ${dirty}`);
    let iso = 0;
    for (let t = 0; t < this.n; t++) {
      iso += this.isoN[t];
      let pages = 0;
      for (let b = this.rssHead[t]; b >= 0; b = this.blkNext[b]) pages += 1 << this.blkOrder[b];
      if (pages !== this.rssPages[t]) throw new MmError("INVARIANT", `task ${t} rss ${this.rssPages[t]} != ${pages}`, { t });
      const p = this.phase[t];
      const tracked = t !== this.kswapd && inSlowpath(p) && this.table.tracks(this.agfp[t]);
      if (tracked !== (this.table.inFlight[t] !== 0))
        throw new MmError("INVARIANT", `task ${t} phase ${p} vs memalloc in-flight ${this.table.inFlight[t]}`, { t });
      if ((p === P_DEAD || p === P_RESPAWN) && (this.rssPages[t] !== 0 || this.tstate[t] !== TASK_DEAD))
        throw new MmError("INVARIANT", `dead task ${t} still holds memory`, { t });
      // the owner may still be in its wait phase only between hand-off and its wake-up event
      if ((p === P_LOCK_WAIT || p === P_FS_ACQUIRE) && this.fsLockOwner === t && this.timers[t] === null)
        throw new MmError("INVARIANT", `task ${t} waits for the fs lock it holds`, { t });
    }
    if (iso !== this.isolatedTotal) throw new MmError("INVARIANT", `isolated ${this.isolatedTotal} != ${iso}`);
    if (this.fsLockOwner !== NO_TASK) {
      const p = this.phase[this.fsLockOwner];
      if (p === P_DEAD || p === P_RESPAWN) throw new MmError("INVARIANT", "a dead task holds the fs lock");
    }
    for (let i = 0; i < this.fsWLen; i++) {
      const w = this.fsWaiters[(this.fsWHead + i) % this.fsWaiters.length];
      if (this.phase[w] !== P_LOCK_WAIT && this.phase[w] !== P_FS_ACQUIRE) throw new MmError("INVARIANT", `fs lock waiter ${w} in phase ${this.phase[w]}`);
    }
    if (this.oomLockOwner !== NO_TASK) {
      const p = this.phase[this.oomLockOwner];
      if (p !== P_OOM_NOTIFIER && p !== P_OOM_SLEEP) throw new MmError("INVARIANT", `oom_lock held by task in phase ${p}`);
    }
  }
}
