/**
 * A guest process's anonymous memory: one private VMA faulted in page by page, the first part of
 * it madvise(MADV_HUGEPAGE)d, and freed whole on exit.
 * Kernel counterpart: mm/memory.c do_anonymous_page (order 0), mm/huge_memory.c
 * do_huge_pmd_anonymous_page + vma_thp_gfp_mask (order 9 where madvised; VM_FAULT_FALLBACK to
 * order 0 when no huge page is free), mm/mmap.c exit_mmap.
 */
import { GFP_HIGHUSER_MOVABLE, GFP_TRANSHUGE } from "@mm/api";
import type { BuddyMachine } from "@mm/buddy";
import { type OomCandidate, pgtablesBytesFor } from "./oom-kill.js";

/** HPAGE_PMD_ORDER on x86-64. */
export const HPAGE_PMD_ORDER = 9;
const HPAGE_PMD_NR = 1 << HPAGE_PMD_ORDER;

/**
 * The gfp of a THP fault in a madvised VMA under the default defrag setting ("madvise"):
 * vma_thp_gfp_mask() returns GFP_TRANSHUGE_LIGHT | __GFP_DIRECT_RECLAIM = GFP_TRANSHUGE. Order 9 is
 * costly, so the slow path never OOM-kills for it and gives up after one reclaim round.
 */
export const GFP_THP_MADVISED = GFP_TRANSHUGE;

/** What a process is, for the OOM killer and for the fault path. */
export interface TaskSpec {
  readonly comm: string;
  readonly uid: number;
  readonly oomScoreAdj: number;
  /** pid 1 or a kernel thread: never an OOM victim. @defaultValue false */
  readonly unkillable?: boolean;
  /** Size of its anonymous VMA, pages. */
  readonly vmPages: number;
  /** Of those, the first pages are MADV_HUGEPAGE (2 MiB aligned inside the VMA). */
  readonly madvisedPages: number;
  /** Its mapped files: file pages [fileStart, fileStart + fileLen) of the page cache. */
  readonly fileStart: number;
  readonly fileLen: number;
  /** The CPU it runs on (its allocations and frees use that CPU's pcp lists). @defaultValue pid % cpus */
  readonly cpu?: number;
}

/** A process. Its memory is a list of blocks (pfn, order) in fault order. */
export class GuestTask implements OomCandidate {
  readonly pid: number;
  readonly comm: string;
  readonly uid: number;
  readonly oomScoreAdj: number;
  readonly unkillable: boolean;
  readonly vmPages: number;
  readonly madvisedPages: number;
  readonly fileStart: number;
  readonly fileLen: number;
  /** The CPU it runs on. */
  readonly cpu: number;
  hasMm = true;
  oomSkip = false;
  /** Got SIGKILL from the OOM killer. */
  killed = false;
  readonly shmemRss = 0;
  readonly swapEnts = 0;
  anonRss = 0;
  /** Virtual pages faulted so far (the fault cursor in the VMA). */
  virt = 0;
  /** THP faults, and THP faults that fell back to order 0. */
  thpFaults = 0;
  thpFallbacks = 0;
  private blocks: Int32Array;
  private orders: Uint8Array;
  private nBlocks = 0;
  /** Resident pages of its mapped files (MM_FILEPAGES), refreshed by the guest before an OOM pick. */
  fileRss = 0;

  constructor(pid: number, spec: TaskSpec, cpu: number) {
    this.pid = pid;
    this.cpu = cpu;
    this.comm = spec.comm;
    this.uid = spec.uid;
    this.oomScoreAdj = spec.oomScoreAdj;
    this.unkillable = spec.unkillable ?? false;
    this.vmPages = spec.vmPages;
    this.madvisedPages = spec.madvisedPages;
    this.fileStart = spec.fileStart;
    this.fileLen = spec.fileLen;
    const cap = Math.max(16, spec.vmPages);
    this.blocks = new Int32Array(cap);
    this.orders = new Uint8Array(cap);
  }

  get totalVm(): number {
    return this.vmPages + this.fileLen;
  }

  get pgtablesBytes(): number {
    return pgtablesBytesFor(this.virt);
  }

  /** Blocks held (for tests): pfn and order of block i. */
  get blockCount(): number {
    return this.nBlocks;
  }
  blockPfn(i: number): number {
    return this.blocks[i];
  }
  blockOrder(i: number): number {
    return this.orders[i];
  }

  private push(pfn: number, order: number): void {
    if (this.nBlocks === this.blocks.length) {
      const b = new Int32Array(this.blocks.length * 2);
      b.set(this.blocks);
      this.blocks = b;
      const o = new Uint8Array(this.orders.length * 2);
      o.set(this.orders);
      this.orders = o;
    }
    this.blocks[this.nBlocks] = pfn;
    this.orders[this.nBlocks] = order;
    this.nBlocks++;
  }

  /**
   * Fault in up to `n` more virtual pages (a THP fault maps 512 at once and may overshoot `n`).
   * Stops early when the task is killed, the VMA is full, or an allocation fails.
   * @returns virtual pages faulted
   */
  fault(machine: BuddyMachine, n: number): number {
    const start = this.virt;
    const end = Math.min(this.vmPages, start + n);
    const thp = machine.thpEnabled;
    while (this.virt < end && !this.killed) {
      const v = this.virt;
      if (thp && (v & (HPAGE_PMD_NR - 1)) === 0 && v + HPAGE_PMD_NR <= this.madvisedPages) {
        const pfn = machine.allocPages(HPAGE_PMD_ORDER, GFP_THP_MADVISED);
        if (pfn >= 0) {
          if (this.killed) {
            machine.freePages(pfn, HPAGE_PMD_ORDER);
            break;
          }
          this.push(pfn, HPAGE_PMD_ORDER);
          this.anonRss += HPAGE_PMD_NR;
          this.virt += HPAGE_PMD_NR;
          this.thpFaults++;
          continue;
        }
        this.thpFallbacks++;
      }
      const pfn = machine.allocPages(0, GFP_HIGHUSER_MOVABLE);
      if (pfn < 0) break; // VM_FAULT_OOM: pagefault_out_of_memory(), the fault is retried later
      if (this.killed) {
        // the OOM killer chose this task while it allocated: the page goes with the rest
        machine.freePages(pfn, 0);
        break;
      }
      this.push(pfn, 0);
      this.anonRss++;
      this.virt++;
    }
    return this.virt - start;
  }

  /** exit_mmap(): free every block. @returns pages freed */
  exitMm(machine: BuddyMachine): number {
    let pages = 0;
    for (let i = 0; i < this.nBlocks; i++) {
      machine.freePages(this.blocks[i], this.orders[i]);
      pages += 1 << this.orders[i];
    }
    this.nBlocks = 0;
    this.anonRss = 0;
    this.hasMm = false;
    this.oomSkip = true;
    return pages;
  }
}
