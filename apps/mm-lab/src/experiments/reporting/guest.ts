/**
 * A guest kernel around @mm/buddy: processes, clean page cache, kswapd, direct reclaim and the
 * OOM killer, plugged into the allocator's slow path (its ReclaimPolicy), and the numbers a guest
 * owner would see (OOM kills, time below the min watermark, reclaim stall, refaults).
 * Kernel counterpart: the slow path's calls into mm/vmscan.c (try_to_free_pages), mm/oom_kill.c
 * (out_of_memory from __alloc_pages_may_oom) and wakeup_kswapd.
 */
import { type Gfp, MmError, type Order, WMARK_MIN } from "@mm/api";
import { type BuddyMachine, createMachine, type MachineOptions, type ReclaimPolicy } from "@mm/buddy";
import { GuestTask, type TaskSpec } from "./mm.js";
import { formatOomKill, selectBadProcess } from "./oom-kill.js";
import { Kswapd, type KswapdScheduler, PageCache, SWAP_CLUSTER_MAX } from "./vmscan.js";

/** Simulated costs charged to the task that pays them. */
export interface GuestCosts {
  /** Reclaiming one clean page cache page (direct reclaim stall, kswapd work). */
  readonly reclaimNsPerPage: number;
  /** Reading back one evicted file page (workingset refault). */
  readonly rereadNsPerPage: number;
}

/** What the guest owner sees. Times in simulated ns. */
export interface GuestStats {
  oomKills: number;
  /** out_of_memory() found no eligible task (the kernel panics). */
  oomPanics: number;
  /** Direct reclaim: calls, pages, and the time the allocating tasks stalled in it. */
  directReclaimCalls: number;
  directReclaimPages: number;
  reclaimStallNs: number;
  /** Time the node spent below its min watermark (sum of zone free below sum of zone min). */
  belowMinNs: number;
}

/** The scheduler the guest runs on: schedule for kswapd and `now` for the watermark clock. */
export interface GuestScheduler extends KswapdScheduler {
  now(): number;
}

/** Options of createGuest(). */
export interface GuestOptions {
  readonly memoryBytes: number;
  /** File pages the page cache may ever hold (indices 0 .. nrFiles-1). */
  readonly nrFiles: number;
  readonly costs: GuestCosts;
  readonly sched: GuestScheduler;
  /** Machine options besides size and reclaim (clock, THP ...). */
  readonly machine?: Omit<MachineOptions, "memoryBytes" | "reclaim">;
  /** printk sink for the OOM killer's lines. @defaultValue discard */
  readonly log?: (line: string) => void;
}

/** The guest: one machine, its processes, page cache, kswapd and OOM killer. */
export class Guest implements ReclaimPolicy {
  readonly machine: BuddyMachine;
  readonly cache: PageCache;
  readonly kswapdTask: Kswapd;
  readonly tasks: GuestTask[] = [];
  readonly stats: GuestStats = {
    oomKills: 0,
    oomPanics: 0,
    directReclaimCalls: 0,
    directReclaimPages: 0,
    reclaimStallNs: 0,
    belowMinNs: 0,
  };
  /** The task on whose behalf the allocator runs now (`current`), or null (a kernel thread). */
  current: GuestTask | null = null;
  /** Simulated time the current task owes for stalls since it last paid. */
  chargedNs = 0;
  /** Victims in kill order (pid). */
  readonly victims: number[] = [];
  private readonly costs: GuestCosts;
  private readonly sched: GuestScheduler;
  private readonly log: (line: string) => void;
  private nextPid = 1;
  private belowSince = -1;

  constructor(opts: GuestOptions) {
    this.costs = opts.costs;
    this.sched = opts.sched;
    this.log = opts.log ?? (() => {});
    this.machine = createMachine({ ...opts.machine, memoryBytes: opts.memoryBytes, reclaim: this });
    this.cache = new PageCache(this.machine, opts.nrFiles);
    this.kswapdTask = new Kswapd(this.machine, this.cache, opts.sched, { nsPerPage: opts.costs.reclaimNsPerPage });
  }

  /** fork + exec: a new process (pids in creation order, as for_each_process walks them). */
  spawn(spec: TaskSpec): GuestTask {
    const pid = this.nextPid++;
    const cpus = this.machine.cpus;
    const cpu = spec.cpu ?? pid % cpus;
    if (!(Number.isInteger(cpu) && cpu >= 0 && cpu < cpus)) throw new MmError("EINVAL", `task ${spec.comm}: cpu ${cpu} not in 0..${cpus - 1}`);
    const t = new GuestTask(pid, spec, cpu);
    this.tasks.push(t);
    return t;
  }

  /** The process exits on its own: exit_mmap frees its memory, on its CPU. */
  exit(t: GuestTask): number {
    if (!t.hasMm) return 0;
    const cpu = this.machine.currentCpu;
    this.machine.setCpu(t.cpu);
    try {
      return t.exitMm(this.machine);
    } finally {
      this.machine.setCpu(cpu);
    }
  }

  /** Fault `n` virtual pages of `t` in as the current task. @returns pages faulted */
  faultAnon(t: GuestTask, n: number): number {
    const prev = this.current;
    const cpu = this.machine.currentCpu;
    this.current = t;
    this.machine.setCpu(t.cpu);
    try {
      return t.fault(this.machine, n);
    } finally {
      this.current = prev;
      this.machine.setCpu(cpu);
    }
  }

  /**
   * `t` touches file page f (a mapped read): a resident page is a hit; a missing one is read in,
   * and the read of an evicted page is a refault whose I/O time `t` pays.
   */
  accessFile(t: GuestTask | null, f: number, gfp: number): number {
    const prev = this.current;
    const cpu = this.machine.currentCpu;
    this.current = t;
    // a read on behalf of no task (the background reader) runs on the last CPU
    this.machine.setCpu(t === null ? this.machine.cpus - 1 : t.cpu);
    try {
      const r = this.cache.access(f, gfp);
      if (r === 2) this.chargedNs += this.costs.rereadNsPerPage;
      return r;
    } finally {
      this.current = prev;
      this.machine.setCpu(cpu);
    }
  }

  /** MM_FILEPAGES of `t`: resident pages of its mapped files. */
  residentFiles(t: GuestTask): number {
    let n = 0;
    for (let f = t.fileStart; f < t.fileStart + t.fileLen; f++) if (this.cache.isResident(f)) n++;
    return n;
  }

  /** Take the time the current task owes. */
  takeCharge(): number {
    const ns = this.chargedNs;
    this.chargedNs = 0;
    return ns;
  }

  /**
   * Advance the below-min clock to now (call whenever free memory may have crossed min). The zone
   * watched is the highest populated one, where user memory lives (DMA32 up to 4 GiB); the DMA
   * zone's free pages are kept by its lowmem reserve and would hide the fall.
   */
  noteWatermark(): void {
    const m = this.machine;
    let zi = 0;
    for (const z of m.zones) if (z.managed > 0) zi = z.idx;
    const below = m.zoneFreePages(zi) < m.zoneWatermark(zi, WMARK_MIN);
    const now = this.sched.now();
    if (this.belowSince >= 0) this.stats.belowMinNs += now - this.belowSince;
    this.belowSince = below ? now : -1;
  }

  // --- ReclaimPolicy: the allocator's slow path calls these -----------------------------------

  /** try_to_free_pages(): SWAP_CLUSTER_MAX clean pages off the LRU tail, the time charged to current. */
  directReclaim(_order: Order, _gfp: Gfp, _highestZoneIdx: number): number {
    const n = this.cache.evict(SWAP_CLUSTER_MAX, false);
    this.stats.directReclaimCalls++;
    this.stats.directReclaimPages += n;
    if (this.current !== null) {
      // a task's stall; the background reader and boot-time fills are not the measured task
      const ns = n * this.costs.reclaimNsPerPage;
      this.stats.reclaimStallNs += ns;
      this.chargedNs += ns;
    }
    return n;
  }

  /** zone_reclaimable_pages(): the file LRU of the zone (no swap, so anon does not count). */
  reclaimablePages(zone: number): number {
    return this.cache.zoneResident[zone];
  }

  /** wakeup_kswapd(): kswapd runs in the background, so nothing is reclaimed synchronously. */
  kswapd(_order: Order, _highestZoneIdx: number): number {
    this.kswapdTask.wake();
    return 0;
  }

  /**
   * out_of_memory(): if current is already dying it just gets to finish; otherwise kill the task
   * with the highest oom_badness. The victim's memory is freed at once (it exits; the oom_reaper's
   * 2 s delay only matters for victims that do not), and the caller's fault is retried.
   */
  outOfMemory(_order: Order, _gfp: Gfp): boolean {
    const cur = this.current;
    if (cur !== null && cur.killed) return true; // task_will_free_mem(current)
    for (const t of this.tasks) t.fileRss = t.hasMm ? this.residentFiles(t) : 0;
    const i = selectBadProcess(this.tasks, this.machine.totalramPages());
    if (i < 0) {
      this.stats.oomPanics++;
      return false;
    }
    const v = this.tasks[i];
    this.log(formatOomKill("Out of memory", v));
    v.killed = true;
    this.stats.oomKills++;
    this.victims.push(v.pid);
    v.exitMm(this.machine);
    return true;
  }
}
