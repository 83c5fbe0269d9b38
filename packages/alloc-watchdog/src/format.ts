/**
 * The exact lines the two reporters print (printk text without the trailing newline).
 * Kernel formats are quoted in each function's comment; the bounded report's own lines
 * (MemAlloc-Folded, MemAlloc-Group) have no kernel counterpart and are documented in README.md.
 */
import type { Gfp, Order } from "@mm/api";
import { TASK_COMM_LEN } from "./api.js";
import { formatEraGfpMask, type PrintEra } from "./gfp-era.js";

/** task->comm holds at most TASK_COMM_LEN - 1 bytes (set_task_comm truncates). */
export function kernelComm(comm: string): string {
  return comm.length < TASK_COMM_LEN ? comm : comm.slice(0, TASK_COMM_LEN - 1);
}

/** Line layout of warn_alloc: "4.9" (v4.9, v4.10) or "4.14" (v4.11–v4.14: nodemask and cpuset line). */
export type WarnAllocLayout = "4.9" | "4.14";

/**
 * warn_alloc()'s headline for the stall check of v4.9–v4.14:
 *   4.9, 4.10:  pr_warn("%s: ", comm); pr_cont("page allocation stalls for %ums, order:%u");
 *         pr_cont(", mode:%#x(%pGg)\n", gfp, &gfp)
 *   4.11–4.14:  pr_warn("%s: %pV, mode:%#x(%pGg), nodemask=", ...) then "(null)\n" for a NULL nodemask
 */
export function formatStallLine(comm: string, ms: number, order: Order, gfp: Gfp, layout: WarnAllocLayout, era: PrintEra): string {
  const head = `${kernelComm(comm)}: page allocation stalls for ${ms}ms, order:${order}, mode:${formatEraGfpMask(gfp, era)}`;
  return layout === "4.9" ? head : `${head}, nodemask=(null)`;
}

/** The allocation-failure headline: "page allocation failure: order:%u" through the same warn_alloc. */
export function formatFailureLine(comm: string, order: Order, gfp: Gfp, layout: WarnAllocLayout, era: PrintEra): string {
  const head = `${kernelComm(comm)}: page allocation failure: order:${order}, mode:${formatEraGfpMask(gfp, era)}`;
  return layout === "4.9" ? head : `${head}, nodemask=(null)`;
}

/** cpuset_print_current_mems_allowed() of v4.11–v4.14 (CONFIG_CPUSETS, root cpuset, one node). */
export function formatCpusetLine(comm: string): string {
  return `${kernelComm(comm)} cpuset=/ mems_allowed=0`;
}

/** ___ratelimit()'s report when a new interval begins after suppressed calls. */
export function formatSuppressedLine(func: string, missed: number): string {
  return `${func}: ${missed} callbacks suppressed`;
}

/** kmallocwd: "MemAlloc-Info: stalling=%u dying=%u exiting=%u victim=%u oom_count=%u". */
export function formatMemAllocInfo(stalling: number, dying: number, exiting: number, victim: number, oomCount: number): string {
  return `MemAlloc-Info: stalling=${stalling} dying=${dying} exiting=${exiting} victim=${victim} oom_count=${oomCount >>> 0}`;
}

/** The allocation part of a MemAlloc line, printed only for a stalling task. */
export interface MemAllocAlloc {
  readonly seq: number;
  readonly gfp: Gfp;
  readonly order: Order;
  /** jiffies since the allocation started. */
  readonly delay: number;
}

/**
 * kmallocwd: "MemAlloc: %s(%u) flags=0x%x switches=%lu[ seq=%u gfp=0x%x(%pGg) order=%u delay=%lu]
 * [ uninterruptible][ exiting][ dying][ victim]".
 */
export function formatMemAllocLine(
  comm: string,
  pid: number,
  flags: number,
  switches: number,
  alloc: MemAllocAlloc | null,
  uninterruptible: boolean,
  exiting: boolean,
  dying: boolean,
  victim: boolean,
  era: PrintEra,
): string {
  let s = `MemAlloc: ${kernelComm(comm)}(${pid}) flags=0x${(flags >>> 0).toString(16)} switches=${switches}`;
  if (alloc !== null)
    s += ` seq=${alloc.seq >>> 0} gfp=${formatEraGfpMask(alloc.gfp, era)} order=${alloc.order} delay=${alloc.delay}`;
  if (uninterruptible) s += " uninterruptible";
  if (exiting) s += " exiting";
  if (dying) s += " dying";
  if (victim) s += " victim";
  return s;
}

/** Bounded report: how many reportable tasks were not given their own MemAlloc line. */
export function formatFoldedLine(stalling: number, other: number): string {
  return `MemAlloc-Folded: stalling=${stalling} other=${other}`;
}

/** Bounded report: one group of folded stalling tasks sharing gfp, order and task state. */
export function formatGroupLine(tasks: number, gfp: Gfp, order: Order, state: string, delayMin: number, delayMax: number, era: PrintEra): string {
  return `MemAlloc-Group: tasks=${tasks} gfp=${formatEraGfpMask(gfp, era)} order=${order} state=${state} delay=${delayMin}..${delayMax}`;
}

/** Bounded report: the groups beyond maxGroups, folded once more. */
export function formatOtherGroupsLine(tasks: number, groups: number): string {
  return `MemAlloc-Group: tasks=${tasks} other_groups=${groups}`;
}
