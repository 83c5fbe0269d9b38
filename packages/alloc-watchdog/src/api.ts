/**
 * Public constants and contracts of @mm/alloc-watchdog: what the reporters read about tasks, what
 * they tell observers, and the era-specific numbers they print.
 */
import type { Gfp, Order } from "@mm/api";

/** CONFIG_HZ of the Debian 6.1 capture in fixtures/ (and the Kconfig default, HZ_250). */
export const DEFAULT_HZ = 250;

/** CONFIG_DEFAULT_MEMALLOC_TASK_TIMEOUT of kmallocwd v6 (seconds); 0 disables scanning. */
export const DEFAULT_MEMALLOC_TASK_TIMEOUT_SECS = 60;

/** The 4.9–4.14 warn_alloc stall check fires after 10 s of looping and then every further 10 s. */
export const WARN_ALLOC_STALL_SECS = 10;

// TASK_COMM_LEN and the task->state values shared with @mm/sim's tasks (same in 4.x and 6.x)
export { TASK_COMM_LEN, TASK_INTERRUPTIBLE, TASK_RUNNING, TASK_UNINTERRUPTIBLE } from "@mm/sim";
/** TASK_DEAD of the 4.x era (include/linux/sched.h); @mm/sim has no dead tasks. */
export const TASK_DEAD = 64;

// task->flags (PF_*) with their 4.9 values: kmallocwd prints the raw word (`flags=0x%x`), so a
// model that wants era-true lines sets these bits. PF_KSWAPD moved to 0x20000 in 4.12 when
// PF_FSTRANS went away; the 4.9 layout matches the kmallocwd v6/v8 logs.
export const PF_EXITING = 0x4;
export const PF_WQ_WORKER = 0x20;
export const PF_FORKNOEXEC = 0x40;
export const PF_MEMALLOC = 0x800;
export const PF_NOFREEZE = 0x8000;
export const PF_KSWAPD = 0x40000;
export const PF_KTHREAD = 0x200000;
export const PF_RANDOMIZE = 0x400000;
export const PF_SWAPWRITE = 0x800000;
export const PF_NO_SETAFFINITY = 0x4000000;

/** kswapd's word: PF_MEMALLOC | PF_SWAPWRITE | PF_KSWAPD set by kswapd(), PF_KTHREAD | PF_FORKNOEXEC from kthread creation. */
export const KSWAPD_FLAGS = PF_MEMALLOC | PF_SWAPWRITE | PF_KSWAPD | PF_KTHREAD | PF_FORKNOEXEC; // 0xa40840

/** A printk sink: one call per line, without the trailing newline. */
export type LogSink = (line: string) => void;

/**
 * What the reporters read about every task (kmallocwd walks `for_each_process_thread` and reads
 * task_struct). Indices run 0..taskCount-1; the per-task allocation record lives in
 * MemallocTable under the same index.
 */
export interface MemallocTaskView {
  readonly taskCount: number;
  comm(t: number): string;
  pid(t: number): number;
  /** task->flags as printed (PF_* bits of the era). */
  flags(t: number): number;
  /** nvcsw + nivcsw. */
  switches(t: number): number;
  /** task->state: TASK_RUNNING / TASK_INTERRUPTIBLE / TASK_UNINTERRUPTIBLE / TASK_DEAD. */
  state(t: number): number;
  /** tsk_is_oom_victim / TIF_MEMDIE. */
  isOomVictim(t: number): boolean;
  /** fatal_signal_pending: SIGKILL queued and not yet acted on. */
  fatalSignalPending(t: number): boolean;
}

/**
 * Structured side channel of a reporter: which task's current allocation a printed line named.
 * Experiments use it to measure detection latency against the model's ground truth.
 */
export interface ReportObserver {
  /** A line naming task t's in-flight allocation (warn_alloc stall line, MemAlloc line with seq=). */
  named(t: number, nowNs: number): void;
  /** A bounded report counted task t's stalling allocation in a group line instead of naming it. */
  folded?(t: number, nowNs: number): void;
}

/**
 * Where __alloc_pages_slowpath tested its stall timer (mm/page_alloc.c as released):
 * - "after-reclaim" (v4.9, v4.10; 63f53dea0c98): after direct reclaim and direct compaction
 *   and their attempt failed, after the `__GFP_NORETRY` and costly-order `goto nopage`, just
 *   before should_reclaim_retry(). A task that never gets back from reclaim never reaches it.
 * - "before-reclaim" (v4.11 to v4.14; moved by 9a67f6488eca "mm: consolidate GFP_NOFAIL checks
 *   in the allocator slowpath", "we have to move the stall check up"): at the top of every
 *   retry, after get_page_from_freelist failed and `!can_direct_reclaim` bailed out, before the
 *   PF_MEMALLOC check and direct reclaim.
 */
export type StallCheckSite = "after-reclaim" | "before-reclaim";

/**
 * The allocator-side half of a stall reporting policy: `__alloc_pages_slowpath` calls stallCheck
 * where the observer's release tested its stall timer (`stallCheckSite`, default
 * "before-reclaim") and allocFailure at `nopage`. A watchdog does not need these; it reads the
 * MemallocTable instead.
 */
export interface SlowpathObserver {
  readonly stallCheckSite?: StallCheckSite;
  stallCheck(t: number, gfp: Gfp, order: Order, allocStartNs: number): void;
  allocFailure(t: number, gfp: Gfp, order: Order): void;
}

/**
 * Listeners of the watchdog: seed 003's "serve as a hook" (turn extra tracing on while something
 * stalls). stallStart fires on the first scan that finds a stalling task after a scan that found
 * none; stallStop on the first scan that finds none afterwards (or when the watchdog is stopped).
 */
export interface StallListener {
  stallStart?(stalling: number, nowNs: number): void;
  stallStop?(nowNs: number): void;
  /** Every scan, with check_memalloc_stalling_tasks()'s return value (what SystemTap probed). */
  scanned?(stalling: number, nowNs: number): void;
}

/**
 * The bounded report: at most `maxTasks` MemAlloc lines (kswapd lines come on top, one per
 * kswapd), and at most `maxGroups` MemAlloc-Group lines summarising the folded stalling tasks.
 */
export interface ReportBound {
  readonly maxTasks: number;
  readonly maxGroups: number;
}

/** The bound the bounded watchdog uses unless told otherwise. */
export const DEFAULT_REPORT_BOUND: ReportBound = { maxTasks: 16, maxGroups: 8 };
