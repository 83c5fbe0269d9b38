/**
 * The state every room of the slow-path model works on: the configuration types, the task
 * phases, and one struct of typed arrays indexed by task (task_struct as struct-of-arrays, the
 * allocation in progress, isolated pages, RSS blocks, the page-cache LRU, the locks and the disk).
 * The rooms (task-state, task-mm, lru, direct-reclaim, oom-kill, kswapd, slowpath) are free
 * functions over this struct, as @mm/buddy's are over its NodeState.
 */
import {
  type Gfp,
  GFP_HIGHUSER_MOVABLE,
  __GFP_NOWARN,
  __GFP_RECLAIM,
  MAX_PAGE_ORDER,
  MmError,
  type Order,
  type PageSource,
  type Pfn,
  type Scheduler,
  type TimerHandle,
  type WatermarkKind,
} from "@mm/api";
import { createPrng, type Prng } from "@mm/sim";
import { DEFAULT_HZ, KSWAPD_FLAGS, type LogSink, PF_RANDOMIZE, type SlowpathObserver, TASK_INTERRUPTIBLE } from "./api.js";
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
export const P_NEW = 0;
export const P_THINK = 1; // between allocations, interruptible sleep
export const P_RETRY = 2; // about to run the top of the retry loop
export const P_CONGESTED = 3; // too_many_isolated: congestion_wait(HZ/10)
export const P_RECLAIM_WORK = 4; // shrink_page_list on the isolated batch (CPU)
export const P_RECLAIM_IO = 5; // waiting for writeback of the batch
export const P_LOCK_WAIT = 6; // mutex_lock(fs shrinker lock)
export const P_SHRINK = 7; // running the fs shrinker with the lock held
export const P_SHRINK_IO = 20; // the fs shrinker waiting for its metadata writeback, lock held
export const P_BACKOFF = 8; // should_reclaim_retry's congestion_wait, or a zero-time iteration's jiffy
export const P_OOM_BACKOFF = 9; // oom_lock busy: schedule_timeout_uninterruptible(1)
export const P_OOM_NOTIFIER = 10; // oom_lock held, blocked in an OOM notifier
export const P_OOM_SLEEP = 11; // oom_lock held: schedule_timeout_killable(1) after the kill
export const P_FS_ACQUIRE = 12; // WORK_FS_HOLDER waiting for the fs lock
export const P_FS_HOLD = 13; // WORK_FS_HOLDER holding the lock after its burst
export const P_EXITING = 14; // exit_mmap
export const P_DEAD = 15;
export const P_RESPAWN = 16;
export const K_SLEEP = 17;
export const K_WORK = 18;
export const K_IO = 19;

/** Phases that are inside __alloc_pages_slowpath. */
export function inSlowpath(p: number): boolean {
  return (p >= P_RETRY && p <= P_OOM_SLEEP) || p === P_SHRINK_IO;
}

/** The initial page cache: a mapping's GFP_HIGHUSER_MOVABLE, without reclaim (it is boot-time fill). */
export const PAGECACHE_GFP = (GFP_HIGHUSER_MOVABLE & ~__GFP_RECLAIM) | __GFP_NOWARN;
export const SWAP_CLUSTER_MAX = 32;
export const NO_TASK = -1;
/** select_bad_process() found a live victim not yet reaped: wait for it. */
export const OOM_ABORT = -2;

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

/**
 * The slow path's own loop (`goto retry`, `got_pg`, `nopage`), installed by slowpath.ts. The
 * rooms it calls (reclaim, the OOM path) continue through these, so no room imports the driver
 * and the files stay free of import cycles.
 */
export interface SlowpathLoop {
  retry(s: StallState, t: number): void;
  loopAgain(s: StallState, t: number): void;
  gotPage(s: StallState, t: number, pfn: Pfn): void;
  nopage(s: StallState, t: number): void;
}

export interface StallState {
  readonly cfg: StallModelConfig;
  readonly alloc: StallModelAllocator;
  readonly sched: Scheduler;
  readonly rand: () => number;
  readonly hz: number;
  readonly jiffyNs: number;
  /** Tasks, kswapd included. */
  readonly n: number;
  /** Task index of kswapd, or NO_TASK. */
  readonly kswapd: number;
  /** task -> index into cfg.tasks (-1: kswapd). */
  readonly specOf: Int32Array;
  readonly batch: number;
  readonly stats: StallModelStats;
  /** out_of_memory() calls (kmallocwd's out_of_memory_count). */
  oomCount: number;
  /** Every observer (allocFailure at nopage)... */
  readonly observers: SlowpathObserver[];
  /** ...and by the site of their stall check. */
  readonly checkBeforeReclaim: SlowpathObserver[];
  readonly checkAfterReclaim: SlowpathObserver[];
  /** The primary MemallocTable. */
  readonly table: MemallocTable;
  /** Every MemallocTable kept up to date: the primary one plus any added (one per watchdog). */
  readonly tables: MemallocTable[];
  readonly listeners: SlowpathListener[];
  started: boolean;
  nextPid: number;
  loop: SlowpathLoop;
  // task_struct, as struct-of-arrays
  readonly comms: string[];
  readonly pids: Int32Array;
  readonly pflags: Uint32Array;
  readonly tstate: Uint8Array;
  readonly nswitch: Float64Array;
  readonly victim: Uint8Array;
  readonly sigkill: Uint8Array;
  /** MMF_OOM_SKIP on the victim's mm. */
  readonly oomSkip: Uint8Array;
  // the state machine
  readonly phase: Uint8Array;
  readonly timers: (TimerHandle | null)[];
  /** One bound step function per task (filled by slowpath.ts). */
  readonly steps: (() => void)[];
  // the allocation in progress
  readonly agfp: Uint32Array;
  readonly aorder: Uint8Array;
  readonly allocStart: Float64Array;
  readonly iterStart: Float64Array;
  readonly noProgress: Uint8Array;
  readonly progress: Int32Array;
  readonly burstLeft: Int32Array;
  // isolated pages, SWAP_CLUSTER_MAX slots per task
  readonly isoPfn: Int32Array;
  readonly isoN: Int32Array;
  readonly isoDirty: Int32Array;
  isolatedTotal: number;
  // RSS: per-task FIFO of blocks in a pooled linked list
  blkPfn: Int32Array;
  blkOrder: Uint8Array;
  blkNext: Int32Array;
  blkFree: number;
  blkUsed: number;
  readonly rssHead: Int32Array;
  readonly rssTail: Int32Array;
  readonly rssPages: Float64Array;
  // page cache LRU: ring of order-0 pfns, oldest at cacheHead
  cachePfn: Int32Array;
  cacheDirtyBit: Uint8Array;
  cacheHead: number;
  cacheLen: number;
  cacheDirty: number;
  // locks
  fsLockOwner: number;
  /** FIFO ring of the fs lock's waiters. */
  readonly fsWaiters: Int32Array;
  fsWHead: number;
  fsWLen: number;
  oomLockOwner: number;
  notifierCallsLeft: number;
  kswapdNextWakeNs: number;
  /** When the disk finishes the requests queued so far. */
  diskBusyUntil: number;
}

const NO_LOOP: SlowpathLoop = {
  retry: () => {
    throw new MmError("BAD_STATE", "slow-path loop not installed");
  },
  loopAgain: () => NO_LOOP.retry(undefined as never, 0),
  gotPage: () => NO_LOOP.retry(undefined as never, 0),
  nopage: () => NO_LOOP.retry(undefined as never, 0),
};

/** Validate the configuration and lay out the state (no events scheduled, no page allocated). */
export function createStallState(cfg: StallModelConfig): StallState {
  const hz = cfg.hz ?? DEFAULT_HZ;
  if (!(hz > 0)) throw new MmError("BAD_CONFIG", `HZ must be > 0, got ${hz}`);
  const own = cfg.random === undefined ? createPrng(cfg.seed ?? 1).fork("alloc-watchdog/model") : null;
  const rand = cfg.random ?? (() => (own as Prng).nextFloat());
  const batch = cfg.reclaim.batch ?? SWAP_CLUSTER_MAX;
  const d = cfg.reclaim.disk;
  if (!(batch >= 1) || !(cfg.reclaim.costPerPageNs >= 0) || !(d.requestNs >= 0) || !(d.pageNs >= 0))
    throw new MmError("BAD_CONFIG", "reclaim needs batch >= 1 and non-negative costs");
  for (const sp of cfg.tasks) {
    const order = sp.order ?? 0;
    if (!Number.isInteger(order) || order < 0 || order > MAX_PAGE_ORDER) throw new MmError("BAD_ORDER", `task ${sp.comm}: order ${order}`);
    if (sp.work !== WORK_ANON && sp.work !== WORK_FILE && sp.work !== WORK_FS_HOLDER) throw new MmError("BAD_CONFIG", `task ${sp.comm}: unknown work ${sp.work}`);
    if (sp.work === WORK_FILE && order !== 0) throw new MmError("BAD_CONFIG", `task ${sp.comm}: page cache is order 0`);
    if (!(sp.thinkNs > 0)) throw new MmError("BAD_CONFIG", `task ${sp.comm}: thinkNs must be > 0`);
  }
  const hasK = cfg.kswapd !== null && cfg.kswapd !== undefined;
  const n = cfg.tasks.length + (hasK ? 1 : 0);
  const table = cfg.table ?? new MemallocTable({ capacity: n });
  table.ensureCapacity(n);
  const s: StallState = {
    cfg,
    alloc: cfg.allocator,
    sched: cfg.scheduler,
    rand,
    hz,
    jiffyNs: 1e9 / hz,
    n,
    kswapd: hasK ? 0 : NO_TASK,
    specOf: new Int32Array(n),
    batch,
    stats: {
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
    },
    oomCount: 0,
    observers: [],
    checkBeforeReclaim: [],
    checkAfterReclaim: [],
    table,
    tables: [table],
    listeners: [],
    started: false,
    nextPid: 1000,
    loop: NO_LOOP,
    comms: new Array<string>(n).fill(""),
    pids: new Int32Array(n),
    pflags: new Uint32Array(n),
    tstate: new Uint8Array(n),
    nswitch: new Float64Array(n),
    victim: new Uint8Array(n),
    sigkill: new Uint8Array(n),
    oomSkip: new Uint8Array(n),
    phase: new Uint8Array(n),
    timers: new Array<TimerHandle | null>(n).fill(null),
    steps: [],
    agfp: new Uint32Array(n),
    aorder: new Uint8Array(n),
    allocStart: new Float64Array(n),
    iterStart: new Float64Array(n),
    noProgress: new Uint8Array(n),
    progress: new Int32Array(n),
    burstLeft: new Int32Array(n),
    isoPfn: new Int32Array(n * batch),
    isoN: new Int32Array(n),
    isoDirty: new Int32Array(n),
    isolatedTotal: 0,
    blkPfn: new Int32Array(1024),
    blkOrder: new Uint8Array(1024),
    blkNext: new Int32Array(1024),
    blkFree: -1,
    blkUsed: 0,
    rssHead: new Int32Array(n).fill(-1),
    rssTail: new Int32Array(n).fill(-1),
    rssPages: new Float64Array(n),
    cachePfn: new Int32Array(1024),
    cacheDirtyBit: new Uint8Array(1024),
    cacheHead: 0,
    cacheLen: 0,
    cacheDirty: 0,
    fsLockOwner: NO_TASK,
    fsWaiters: new Int32Array(n),
    fsWHead: 0,
    fsWLen: 0,
    oomLockOwner: NO_TASK,
    notifierCallsLeft: (cfg.oom?.notifierBlockNs ?? 0) > 0 ? (cfg.oom?.notifierBlockCalls ?? Infinity) : 0,
    kswapdNextWakeNs: 0,
    diskBusyUntil: 0,
  };
  if (hasK) {
    s.specOf[0] = -1;
    s.comms[0] = "kswapd0";
    s.pids[0] = cfg.kswapd?.pid ?? 45;
    s.pflags[0] = KSWAPD_FLAGS;
    s.phase[0] = K_SLEEP;
    s.tstate[0] = TASK_INTERRUPTIBLE;
  }
  const used = new Set<number>();
  for (let i = 0; i < cfg.tasks.length; i++) {
    const t = i + (hasK ? 1 : 0);
    const sp = cfg.tasks[i];
    s.specOf[t] = i;
    s.comms[t] = kernelComm(sp.comm);
    s.pids[t] = sp.pid ?? takePid(s, used);
    used.add(s.pids[t]);
    s.pflags[t] = sp.flags ?? PF_RANDOMIZE;
    s.phase[t] = P_NEW;
    s.tstate[t] = TASK_INTERRUPTIBLE;
  }
  return s;
}

function takePid(s: StallState, used: Set<number>): number {
  while (used.has(s.nextPid)) s.nextPid++;
  return s.nextPid++;
}

/** The spec task t runs (not for kswapd). */
export function specOf(s: StallState, t: number): TaskSpec {
  return s.cfg.tasks[s.specOf[t]];
}
