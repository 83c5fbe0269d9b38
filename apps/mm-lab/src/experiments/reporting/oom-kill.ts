/**
 * The guest's OOM killer: oom_badness, select_bad_process and the kill line.
 * Kernel counterpart: mm/oom_kill.c (read as of 6.1: oom_badness, oom_evaluate_task,
 * select_bad_process, __oom_kill_process, constrained_alloc's totalpages).
 */
import { PAGE_SHIFT, PAGE_SIZE } from "@mm/api";

/** OOM_SCORE_ADJ_MIN (include/uapi/linux/oom.h): never killed. */
export const OOM_SCORE_ADJ_MIN = -1000;
/** OOM_SCORE_ADJ_MAX. */
export const OOM_SCORE_ADJ_MAX = 1000;
/** LONG_MIN, oom_badness's "not a candidate". */
export const BADNESS_NONE = Number.MIN_SAFE_INTEGER;

/** What oom_badness reads of a task (its mm counters and signal->oom_score_adj). */
export interface OomCandidate {
  readonly pid: number;
  readonly comm: string;
  readonly uid: number;
  readonly oomScoreAdj: number;
  /** oom_unkillable_task(): is_global_init or PF_KTHREAD. */
  readonly unkillable: boolean;
  /** find_lock_task_mm() found an mm (the task has not exited). */
  readonly hasMm: boolean;
  /** MMF_OOM_SKIP: already reaped, or a victim that exited. */
  readonly oomSkip: boolean;
  /** MM_ANONPAGES, MM_FILEPAGES, MM_SHMEMPAGES, MM_SWAPENTS. */
  readonly anonRss: number;
  readonly fileRss: number;
  readonly shmemRss: number;
  readonly swapEnts: number;
  /** mm->total_vm, pages. */
  readonly totalVm: number;
  /** mm_pgtables_bytes(mm). */
  readonly pgtablesBytes: number;
}

/** C's long division truncates toward zero; every operand here is a non-negative page count. */
function idiv(a: number, b: number): number {
  return Math.trunc(a / b);
}

/**
 * oom_badness(p, totalpages): rss + swap entries + page-table pages, plus oom_score_adj in units
 * of totalpages / 1000. BADNESS_NONE (LONG_MIN) for tasks that must not be chosen.
 */
export function oomBadness(p: OomCandidate, totalPages: number): number {
  if (p.unkillable || !p.hasMm) return BADNESS_NONE;
  const adj = p.oomScoreAdj;
  if (adj === OOM_SCORE_ADJ_MIN || p.oomSkip) return BADNESS_NONE;
  const points = p.anonRss + p.fileRss + p.shmemRss + p.swapEnts + idiv(p.pgtablesBytes, PAGE_SIZE);
  return points + adj * idiv(totalPages, 1000);
}

/**
 * select_bad_process() over for_each_process (creation order): the highest points wins; a later
 * task with equal points replaces the earlier one (`points < chosen_points` skips only lower ones).
 * @returns the index of the victim, or -1 when no task is eligible (the kernel then panics:
 * "System is deadlocked on memory").
 */
export function selectBadProcess(tasks: readonly OomCandidate[], totalPages: number): number {
  let chosen = -1;
  let chosenPoints = BADNESS_NONE;
  for (let i = 0; i < tasks.length; i++) {
    const points = oomBadness(tasks[i], totalPages);
    if (points === BADNESS_NONE || points < chosenPoints) continue;
    chosen = i;
    chosenPoints = points;
  }
  return chosen;
}

/** Entries of one page-table page on x86-64 (PTRS_PER_PTE = PTRS_PER_PMD = PTRS_PER_PUD = 512). */
const PTRS_PER_TABLE = 512;

/**
 * mm_pgtables_bytes() of one anonymous VMA of `pages` pages mapped from a 1 GiB-aligned start with
 * 4-level paging: every PTE, PMD and PUD table counts a page (mm_inc_nr_ptes/pmds/puds); a THP
 * mapping deposits a PTE table too (pgtable_trans_huge_deposit), so THP does not change it.
 */
export function pgtablesBytesFor(pages: number): number {
  if (pages <= 0) return 0;
  const ptes = Math.ceil(pages / PTRS_PER_TABLE);
  const pmds = Math.ceil(ptes / PTRS_PER_TABLE);
  const puds = Math.ceil(pmds / PTRS_PER_TABLE);
  return (ptes + pmds + puds) * PAGE_SIZE;
}

/** K(x): pages to KiB. */
function kb(pages: number): number {
  return pages << (PAGE_SHIFT - 10);
}

/** __oom_kill_process()'s pr_err line, byte for byte (6.1), without the printk prefix. */
export function formatOomKill(message: string, p: OomCandidate): string {
  return (
    `${message}: Killed process ${p.pid} (${p.comm}) total-vm:${kb(p.totalVm)}kB, anon-rss:${kb(p.anonRss)}kB, ` +
    `file-rss:${kb(p.fileRss)}kB, shmem-rss:${kb(p.shmemRss)}kB, UID:${p.uid} pgtables:${p.pgtablesBytes >> 10}kB ` +
    `oom_score_adj:${p.oomScoreAdj}`
  );
}
