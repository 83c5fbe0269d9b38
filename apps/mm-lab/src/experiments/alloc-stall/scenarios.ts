/**
 * The three situations of the alloc-stall experiment. Each is a workload and a machine; the
 * stalls come out of the slow-path model (reclaim cost, a shared disk queue, the filesystem
 * shrinker's mutex, too_many_isolated, oom_lock, the OOM killer), never from a script.
 */
import { GFP_HIGHUSER_MOVABLE, GFP_KERNEL, GFP_NOFS, MmError } from "@mm/api";
import {
  type KswapdConfig,
  type OomConfig,
  PF_FORKNOEXEC,
  PF_KTHREAD,
  PF_NOFREEZE,
  PF_RANDOMIZE,
  type ReclaimConfig,
  type TaskSpec,
  WORK_ANON,
  WORK_FILE,
  WORK_FS_HOLDER,
} from "@mm/alloc-watchdog";

export interface Scenario {
  readonly name: string;
  readonly summary: string;
  readonly memoryMiB: number;
  readonly durationS: number;
  readonly tasks: readonly TaskSpec[];
  readonly reclaim: ReclaimConfig;
  readonly kswapd: KswapdConfig;
  readonly oom: OomConfig | null;
  /** Share of managed pages filled with page cache before the workload starts, and its dirty share. */
  readonly initialPageCache: { readonly share: number; readonly dirtyFraction: number };
}


/** A user process: exec'd (PF_RANDOMIZE) or a forked child that did not exec (PF_FORKNOEXEC too). */
const USER = PF_RANDOMIZE;
const FORKED = PF_RANDOMIZE | PF_FORKNOEXEC;
/** A kernel thread such as xfsaild (freezable threads clear PF_NOFREEZE; these do not). */
const KTHREAD = PF_KTHREAD | PF_NOFREEZE | PF_FORKNOEXEC;

/** A 7200 rpm disk: about 100 random requests a second, 100 MB/s streaming. */
const HDD = { requestNs: 10e6, pageNs: 40e3 };
/** A disk shared with other guests or busy with other work: about 33 requests a second for us. */
const BUSY_DISK = { requestNs: 30e6, pageNs: 40e3 };

/** `n` scaled down for quick runs, at least `min`. */
function scaled(n: number, scale: number, min = 1): number {
  return Math.max(min, Math.round(n * scale));
}

/** The parameters slow-reclaim's outcome depends on (the alloc-stall map's axes). */
export interface SlowReclaimParams {
  /** __GFP_FS reclaimers (httpd threads) that queue on the shrinker mutex. */
  readonly waiters: number;
  /** CPU time the shrinker runs with the mutex held, ms. */
  readonly holdMs: number;
  /** Time of one disk request (the metadata writeback done under the mutex), ms. */
  readonly ioMs: number;
  readonly durationS: number;
}

/** slow-reclaim's defaults: 300 httpd threads, 1 ms of shrinker CPU, 300 s; 50 ms a request: a cloud volume out of burst credits (about 20 requests a second). */
export const SLOW_RECLAIM_DEFAULTS: SlowReclaimParams = { waiters: 300, holdMs: 1, ioMs: 50, durationS: 300 };

/**
 * Memory pressure with slow reclaim: writers keep the page cache dirty on a slow disk, a busy
 * server's threads need memory for requests, and every __GFP_FS reclaimer must pass an XFS-like
 * inode shrinker whose mutex is held across synchronous metadata writeback.
 */
export function slowReclaimWith(p: SlowReclaimParams): Scenario {
  const tasks: TaskSpec[] = [];
  for (let i = 0; i < 4; i++)
    tasks.push({ comm: `dd`, work: WORK_FILE, gfp: GFP_HIGHUSER_MOVABLE, burst: 64, thinkNs: 50e6, dirtyFraction: 0.5, flags: USER });
  for (let i = 0; i < p.waiters; i++)
    tasks.push({ comm: "httpd", work: WORK_ANON, gfp: GFP_KERNEL, burst: 8, thinkNs: 100e6, rssLimitPages: 64, flags: FORKED });
  tasks.push({ comm: "xfsaild/sda1", work: WORK_FS_HOLDER, gfp: GFP_NOFS, burst: 4, thinkNs: 1e9, holdNs: 50e6, flags: KTHREAD });
  return {
    name: "slow-reclaim",
    summary: "dirty page cache on a slow disk; __GFP_FS reclaim serialised by a shrinker mutex held across metadata I/O",
    memoryMiB: 256,
    durationS: p.durationS,
    tasks,
    reclaim: { costPerPageNs: 20e3, disk: { requestNs: p.ioMs * 1e6, pageNs: 40e3 }, fsShrinkerNs: p.holdMs * 1e6, fsShrinkerIoPages: 4 },
    kswapd: { costPerPageNs: 10e3 },
    oom: {},
    initialPageCache: { share: 0.7, dirtyFraction: 0.5 },
  };
}

export function slowReclaim(scale = 1): Scenario {
  const d = SLOW_RECLAIM_DEFAULTS;
  return slowReclaimWith({ ...d, waiters: scaled(d.waiters, scale, 8), durationS: Math.max(60, Math.round(d.durationS * scale)) });
}

/**
 * The oom_lock holder blocked: memory hogs run the guest out of memory; the task that takes
 * oom_lock calls the OOM notifiers, and virtio_balloon's leak_balloon waits for a host that
 * answers only after 150 s, with oom_lock held. Everyone else loops: trylock fails, sleep a jiffy, retry.
 */
export function oomLock(scale = 1): Scenario {
  const tasks: TaskSpec[] = [];
  for (let i = 0; i < 6; i++)
    tasks.push({ comm: "a.out", work: WORK_ANON, gfp: GFP_HIGHUSER_MOVABLE, burst: 64, thinkNs: 20e6, respawnNs: 5e9, flags: FORKED });
  for (let i = 0; i < scaled(16, scale, 4); i++)
    tasks.push({ comm: "java", work: WORK_ANON, gfp: GFP_KERNEL, burst: 4, thinkNs: 200e6, rssLimitPages: 256, flags: USER });
  return {
    name: "oom-lock",
    summary: "memory hogs exhaust the guest; the oom_lock holder waits 150 s in virtio_balloon's OOM notifier",
    memoryMiB: 256,
    durationS: Math.max(60, Math.round(240 * scale)),
    tasks,
    reclaim: { costPerPageNs: 20e3, disk: HDD },
    kswapd: { costPerPageNs: 10e3 },
    oom: { notifierBlockNs: 150e9 },
    initialPageCache: { share: 0.05, dirtyFraction: 0 },
  };
}

/**
 * 4000 tasks stalling at once: a thundering herd of worker threads wakes together on a guest
 * whose memory is dirty page cache; too_many_isolated() throttles most of them inside reclaim.
 */
export function massStall(scale = 1): Scenario {
  const tasks: TaskSpec[] = [];
  for (let i = 0; i < 2; i++)
    tasks.push({ comm: "dd", work: WORK_FILE, gfp: GFP_HIGHUSER_MOVABLE, burst: 64, thinkNs: 50e6, dirtyFraction: 0.8, flags: USER });
  const n = scaled(4000, scale, 40);
  for (let i = 0; i < n; i++)
    tasks.push({ comm: "worker", work: WORK_ANON, gfp: GFP_KERNEL, burst: 8, thinkNs: 30e9, startNs: 1e9 + i * 10e3, rssLimitPages: 8, flags: FORKED });
  return {
    name: "mass-stall",
    summary: `${n} threads allocate within 40 ms on a guest full of dirty page cache`,
    memoryMiB: 256,
    durationS: Math.max(30, Math.round(120 * scale)),
    tasks,
    reclaim: { costPerPageNs: 20e3, disk: BUSY_DISK, fsShrinkerNs: 1e6, fsShrinkerIoPages: 1 },
    kswapd: { costPerPageNs: 10e3 },
    oom: {},
    initialPageCache: { share: 0.85, dirtyFraction: 0.8 },
  };
}

export const SCENARIOS: Readonly<Record<string, (scale?: number) => Scenario>> = {
  "slow-reclaim": slowReclaim,
  "oom-lock": oomLock,
  "mass-stall": massStall,
};

export function scenarioByName(name: string, scale = 1): Scenario {
  const f = SCENARIOS[name];
  if (f === undefined) throw new MmError("EINVAL", `unknown scenario "${name}" (one of ${Object.keys(SCENARIOS).join(", ")})`);
  if (!(scale > 0 && scale <= 1)) throw new MmError("EINVAL", `scale must be in (0, 1], got ${scale}`);
  return f(scale);
}
