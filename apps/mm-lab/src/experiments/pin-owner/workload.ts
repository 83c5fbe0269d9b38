/**
 * The pin-owner experiment's machine and workload: a page cache and anonymous memory spread over
 * all of RAM (CMA area included), read hits and readahead misses, LRU add batches of 15 drained
 * by release_pages, kswapd eviction, anonymous faults and munmap; a driver-like task that takes a
 * long-lived extra reference on one page cache page in the CMA area; a CMA allocation
 * (alloc_contig_range) over the range holding it. Every get/put goes through @mm/buddy with the
 * kernel path that does it on the task's shadow stack.
 */
import {
  GFP_HIGHUSER_MOVABLE,
  GFP_USER,
  MIGRATE_CMA,
  MIGRATE_MOVABLE,
  WMARK_HIGH,
  MR_CONTIG_RANGE,
  type Pfn,
  PG_active,
  PG_lru,
  PG_mappedtodisk,
  PG_referenced,
  PG_swapbacked,
  PG_uptodate,
} from "@mm/api";
import { type BuddyMachine, createMachine } from "@mm/buddy";
import { allocContigMigrateRange, COMPACT_CLUSTER_MAX, type ContigOps, type ContigResult } from "./contig.js";
import type { PageStateReader } from "@mm/pin-owner";
import { createSim, type Prng, type Sim, type SimTask } from "@mm/sim";
import { fromCapture } from "../../from-capture.js";

/** PAGEVEC_SIZE / the lru_add folio batch: 15 folios before release_pages drains it (6.1). */
export const LRU_BATCH = 15;

/**
 * arm64 syscall entry (a phone SoC, the RFC's setting): 6 frames where x86-64 has 2, which is what
 * puts the user-task stacks at 11-15 frames as in the RFC's sample.
 */
const SYSCALL = ["invoke_syscall", "el0_svc_common", "do_el0_svc", "el0_svc", "el0t_64_sync_handler", "el0t_64_sync"];
const READ = ["filemap_read", "generic_file_read_iter", "f2fs_file_read_iter", "vfs_read", "ksys_read", "__arm64_sys_read", ...SYSCALL];
const RA = ["page_cache_ra_unbounded", "ondemand_readahead", "filemap_get_pages", ...READ];
const KSWAPD = ["shrink_inactive_list", "shrink_lruvec", "shrink_node", "balance_pgdat", "kswapd", "kthread", "ret_from_fork"];
const FAULT = ["do_anonymous_page", "__handle_mm_fault", "handle_mm_fault", "do_user_addr_fault", "exc_page_fault", "asm_exc_page_fault"];
const MUNMAP = ["tlb_batch_pages_flush", "tlb_finish_mmu", "unmap_region", "do_mas_munmap", "__vm_munmap", "__arm64_sys_munmap", ...SYSCALL];
const CMA = ["cma_alloc", "cma_heap_allocate", "dma_heap_buffer_alloc", "dma_heap_ioctl", "__arm64_sys_ioctl", ...SYSCALL];
const CONTIG = ["__alloc_contig_migrate_range", "alloc_contig_range", ...CMA];

/** Kernel paths (innermost first) of every get and put the workload does. */
export const PATHS = {
  readGet: ["filemap_get_read_batch", "filemap_get_pages", ...READ],
  readPut: READ,
  raAlloc: ["get_page_from_freelist", "__alloc_pages", "folio_alloc", ...RA],
  raCacheGet: ["__filemap_add_folio", "filemap_add_folio", ...RA],
  raLruGet: ["folio_add_lru", "filemap_add_folio", ...RA],
  raLruDrain: ["release_pages", "folio_batch_move_lru", "folio_add_lru", "filemap_add_folio", ...RA],
  raPut: ["read_pages", ...RA],
  evictGet: ["isolate_lru_folios", ...KSWAPD],
  evictCachePut: ["__remove_mapping", "shrink_folio_list", ...KSWAPD],
  evictFreePut: ["shrink_folio_list", ...KSWAPD],
  evictPutback: ["move_folios_to_lru", ...KSWAPD],
  anonAlloc: ["get_page_from_freelist", "__alloc_pages", "__folio_alloc", "vma_alloc_folio", ...FAULT],
  anonLruGet: ["folio_add_lru_vma", ...FAULT],
  anonLruDrain: ["release_pages", "folio_batch_move_lru", "folio_add_lru", "folio_add_lru_vma", ...FAULT],
  anonZapPut: ["release_pages", ...MUNMAP],
  drainForContig: ["release_pages", "folio_batch_move_lru", "lru_add_drain_cpu", "lru_add_drain", ...CONTIG],
  contigMigrate: ["migrate_pages", ...CONTIG],
  /** isolate_migratepages_range -> isolate_migratepages_block: folio_try_get, the isolation reference. */
  contigIsolate: ["isolate_migratepages_block", "isolate_migratepages_range", ...CONTIG],
  /** putback_movable_pages -> putback_lru_page: lru_cache_add's reference, then the isolation put. */
  putbackLruAdd: ["folio_add_lru", "lru_cache_add", "putback_lru_page", "putback_movable_pages", ...CONTIG],
  putbackPut: ["putback_lru_page", "putback_movable_pages", ...CONTIG],
  putbackLruDrain: ["release_pages", "folio_batch_move_lru", "folio_add_lru", "lru_cache_add", "putback_lru_page", "putback_movable_pages", ...CONTIG],
  /** After a successful move: the new folio goes to the LRU, the isolation reference is dropped. */
  migratedLruAdd: ["folio_add_lru", "folio_putback_lru", "migrate_folio_done", "migrate_pages", ...CONTIG],
  migratedPut: ["folio_putback_lru", "migrate_folio_done", "migrate_pages", ...CONTIG],
  migratedLruDrain: ["release_pages", "folio_batch_move_lru", "folio_add_lru", "folio_putback_lru", "migrate_folio_done", "migrate_pages", ...CONTIG],
  hotGet: ["filemap_get_read_batch", "filemap_get_pages", ...READ],
  hotPut: READ,
  driverGet: ["mydrv_map_buf+0x5c/0x120 [mydrv]", "mydrv_ioctl+0x1a8/0x2f0 [mydrv]", "__arm64_sys_ioctl", ...SYSCALL],
  driverPut: [
    "mydrv_unmap_buf+0x3c/0xa0 [mydrv]",
    "mydrv_release+0x2c/0x60 [mydrv]",
    "__fput",
    "task_work_run",
    "do_notify_resume",
    "el0_svc",
    "el0t_64_sync_handler",
    "el0t_64_sync",
  ],
} as const;

/** The function the culprit's put stack names. */
export const CULPRIT_FUNCTION = "mydrv_unmap_buf";

type PathName = keyof typeof PATHS;

export interface WorkloadConfig {
  readonly seed: number;
  readonly memoryMb: number;
  /** CMA area = RAM / cmaDivisor. */
  readonly cmaDivisor: number;
  /** Page cache target, percent of RAM. */
  readonly cachePercent: number;
  /** Anonymous memory target, percent of RAM. */
  readonly anonPercent: number;
  /** Pages one cma_alloc asks for (aligned to its size). */
  readonly cmaAllocPages: number;
  /** Pages of the driver's buffer, each with the driver's long-lived reference. */
  readonly nrPins: number;
  /** CPUs the tasks run on (the CPU of each operation is drawn uniformly). */
  readonly nrCpus: number;
  /** A capture directory to start from (its machine, allocations and pageblocks), or null. */
  readonly from?: string | null;
}

const KIND_NONE = 0;
const KIND_CACHE = 1;
const KIND_ANON = 2;

/** A file page just read in (PG_lru comes when its LRU batch is drained). */
const CACHE_FLAGS = (1 << PG_uptodate) | (1 << PG_mappedtodisk);
/** A new anonymous page (likewise without PG_lru yet). */
const ANON_FLAGS = (1 << PG_uptodate) | (1 << PG_swapbacked) | (1 << PG_active);

/** Counters of what the workload did. */
export interface WorkloadCounts {
  gets: number;
  puts: number;
  reads: number;
  readaheads: number;
  evictions: number;
  evictionsBusy: number;
  faults: number;
  zaps: number;
  allocFailures: number;
  migrations: number;
}

/**
 * One machine with its workload. The workload's own struct page fields (flags, mapping, mapcount)
 * live here; @mm/buddy owns refcounts and pageblocks.
 */
export class PinOwnerWorld implements PageStateReader {
  readonly sim: Sim;
  readonly machine: BuddyMachine;
  readonly cmaStart: Pfn;
  readonly cmaEnd: Pfn;
  /** Migratetype of the target area: CMA, or Movable on a capture without CMA (alloc_contig_pages' target). */
  readonly targetMt: number;
  private readonly prng: Prng;
  private readonly frames: Record<PathName, Uint32Array>;
  // struct page fields the workload owns, by pfn
  private readonly pgFlags: Uint32Array;
  private readonly mapping: Uint32Array;
  private readonly mapcountArr: Int32Array;
  private readonly kind: Uint8Array;
  /** Index of the page in its pool (cache or anon), -1 if none. */
  private readonly slot: Int32Array;
  private readonly cache: Int32Array;
  private cacheLen = 0;
  private readonly anon: Int32Array;
  private anonLen = 0;
  readonly cacheTarget: number;
  readonly anonTarget: number;
  /** The per-CPU lru_add batch (one CPU). */
  private readonly batch = new Int32Array(LRU_BATCH);
  private batchLen = 0;
  private nextFile = 1;
  private nextAnonVma = 1;
  readonly readers: SimTask[];
  readonly kswapd: SimTask;
  readonly driver: SimTask;
  readonly cmaTask: SimTask;
  readonly counts: WorkloadCounts = { gets: 0, puts: 0, reads: 0, readaheads: 0, evictions: 0, evictionsBusy: 0, faults: 0, zaps: 0, allocFailures: 0, migrations: 0 };
  /** The pages the driver holds (empty before it took them). */
  readonly pins: Pfn[] = [];
  /** The first of them, -1 before the driver took any. */
  get pinned(): Pfn {
    return this.pins.length === 0 ? -1 : this.pins[0];
  }
  /** 1 for a pfn the driver ever pinned (what the user's join looks at). */
  readonly everPinned: Uint8Array;
  /** smp_processor_id() of the operation running now. */
  cpu = 0;
  private readonly cpuPrng: Prng;
  readonly hotReader: SimTask;

  constructor(readonly config: WorkloadConfig) {
    this.sim = createSim({ seed: config.seed });
    const sim = this.sim;
    let nrPages = (config.memoryMb << 20) / 4096;
    const from = config.from != null ? fromCapture(config.from) : null;
    this.machine =
      from !== null
        ? from.machine({ clock: sim, tasks: sim })
        : createMachine({ memoryBytes: config.memoryMb << 20, cma: { nrPages: Math.floor(nrPages / config.cmaDivisor) }, clock: sim, tasks: sim, seed: config.seed });
    const m = this.machine;
    // A capture keeps its allocations (the real holders): the workload's shares are of what is free above the high watermarks.
    if (from !== null) nrPages = Math.max(0, m.freePagesTotal() - m.zones.reduce((a, z) => a + (z.populated ? m.zoneWatermark(z.idx, WMARK_HIGH) : 0), 0));
    this.targetMt = m.pageblockMt.includes(MIGRATE_CMA) ? MIGRATE_CMA : MIGRATE_MOVABLE;
    let lo = -1;
    let hi = -1;
    for (let pb = 0; pb << m.pageblockOrder < m.endPfn; pb++) {
      if (m.pageblockMt[pb] !== this.targetMt) continue;
      if (lo < 0) lo = pb << m.pageblockOrder;
      hi = (pb + 1) << m.pageblockOrder;
    }
    this.cmaStart = lo;
    this.cmaEnd = hi;
    this.prng = sim.prng.fork("pin-owner");
    const frames = {} as Record<PathName, Uint32Array>;
    for (const k of Object.keys(PATHS) as PathName[]) frames[k] = sim.symbols.trace(PATHS[k]);
    this.frames = frames;
    const n = m.endPfn;
    this.pgFlags = new Uint32Array(n);
    this.mapping = new Uint32Array(n);
    this.mapcountArr = new Int32Array(n);
    this.kind = new Uint8Array(n);
    this.slot = new Int32Array(n).fill(-1);
    this.cache = new Int32Array(n);
    this.anon = new Int32Array(n);
    this.cacheTarget = Math.floor((nrPages * config.cachePercent) / 100);
    this.anonTarget = Math.floor((nrPages * config.anonPercent) / 100);
    this.readers = ["RenderThread", "binder:812_3", "cat", "mediaserver"].map((comm) => sim.spawn({ comm }));
    this.kswapd = sim.spawn({ comm: "kswapd0", kthread: true });
    this.driver = sim.spawn({ comm: "mydrvd" });
    this.cmaTask = sim.spawn({ comm: "camera.provider" });
    this.hotReader = sim.spawn({ comm: "surfaceflinger" });
    this.everPinned = new Uint8Array(n);
    // Its own stream, so the CPU count does not change what the workload does.
    this.cpuPrng = sim.prng.fork("pin-owner/cpu");
    // Migration moves the workload's view of the page (folio_migrate_mapping / the page cache slot).
    m.addHooks({ migrate: (oldPfn, newPfn) => this.migrated(oldPfn, newPfn) });
  }

  // ---- PageStateReader (struct page as the tracer reads it)
  pageFlags(pfn: Pfn): number {
    return this.pgFlags[pfn];
  }
  pageCount(pfn: Pfn): number {
    return this.machine.pageCount(pfn);
  }
  pageMapcount(pfn: Pfn): number {
    return this.mapcountArr[pfn];
  }
  pageMapping(pfn: Pfn): number {
    return this.mapping[pfn];
  }
  pageblockMigratetype(pfn: Pfn): number {
    return this.machine.pageblockMt[pfn >>> this.machine.pageblockOrder];
  }
  pageZone(pfn: Pfn): number {
    const zones = this.machine.zones;
    for (let i = 0; i < zones.length; i++) if (pfn >= zones[i].startPfn && pfn < zones[i].endPfn) return i;
    return 0;
  }

  // ---- helpers
  private enter(task: SimTask, path: PathName): void {
    this.sim.setCurrent(task);
    task.pushTrace(this.frames[path]);
  }
  private leave(task: SimTask): void {
    task.unwindTo(0);
  }
  private get(task: SimTask, path: PathName, pfn: Pfn): void {
    this.enter(task, path);
    this.machine.getPage(pfn);
    this.counts.gets++;
    this.leave(task);
  }
  private put(task: SimTask, path: PathName, pfn: Pfn): void {
    this.enter(task, path);
    this.counts.puts++;
    this.machine.putPage(pfn);
    this.leave(task);
  }
  private alloc(task: SimTask, path: PathName): Pfn {
    this.enter(task, path);
    const p = this.machine.allocPages(0, GFP_HIGHUSER_MOVABLE);
    this.leave(task);
    if (p < 0) this.counts.allocFailures++;
    return p;
  }
  private poolAdd(pool: Int32Array, len: number, pfn: Pfn): void {
    pool[len] = pfn;
    this.slot[pfn] = len;
  }
  private poolRemove(pool: Int32Array, len: number, pfn: Pfn): void {
    const i = this.slot[pfn];
    const last = pool[len - 1];
    pool[i] = last;
    this.slot[last] = i;
    this.slot[pfn] = -1;
  }
  private reader(): SimTask {
    return this.readers[this.prng.below(this.readers.length)];
  }

  /** folio_add_lru: a reference into the batch; a full batch is moved to the LRU and released. */
  private lruAdd(task: SimTask, pfn: Pfn, getPath: PathName, drainPath: PathName): void {
    this.get(task, getPath, pfn);
    this.batch[this.batchLen++] = pfn;
    if (this.batchLen === LRU_BATCH) this.drain(task, drainPath);
  }

  /** folio_batch_move_lru -> release_pages: drop the batch's references. */
  drain(task: SimTask, path: PathName): void {
    const n = this.batchLen;
    this.batchLen = 0;
    for (let i = 0; i < n; i++) {
      const p = this.batch[i];
      this.pgFlags[p] |= 1 << PG_lru;
      this.put(task, path, p);
    }
  }

  // ---- operations
  /** A read that hits the page cache: find_get_page's reference, copy, folio_put. */
  readHit(): void {
    if (this.cacheLen === 0) return this.readMiss();
    const p = this.cache[this.prng.below(this.cacheLen)];
    const t = this.reader();
    this.get(t, "readGet", p);
    this.pgFlags[p] |= 1 << PG_referenced;
    this.put(t, "readPut", p);
    this.counts.reads++;
  }

  /** Readahead of a new page: allocate, insert into the page cache, add to the LRU, drop the readahead's reference. */
  readMiss(): void {
    if (this.cacheLen >= this.cacheTarget) this.evict();
    const t = this.reader();
    const p = this.alloc(t, "raAlloc");
    if (p < 0) return;
    this.pgFlags[p] = CACHE_FLAGS;
    this.mapping[p] = this.nextFile;
    if (this.prng.chance(0.02)) this.nextFile++;
    this.kind[p] = KIND_CACHE;
    this.poolAdd(this.cache, this.cacheLen++, p);
    this.get(t, "raCacheGet", p);
    this.lruAdd(t, p, "raLruGet", "raLruDrain");
    this.put(t, "raPut", p);
    this.counts.readaheads++;
  }

  /** kswapd reclaims one page cache page: isolate, __remove_mapping, free; a busy page goes back. */
  evict(): void {
    if (this.cacheLen === 0) return;
    const p = this.cache[this.prng.below(this.cacheLen)];
    const k = this.kswapd;
    this.get(k, "evictGet", p);
    // __remove_mapping's folio_ref_freeze(folio, 1 + 1): only the cache and the isolation may hold it.
    if (this.machine.pageCount(p) !== 2) {
      this.put(k, "evictPutback", p);
      this.counts.evictionsBusy++;
      return;
    }
    this.poolRemove(this.cache, this.cacheLen--, p);
    this.kind[p] = KIND_NONE;
    this.put(k, "evictCachePut", p);
    this.pgFlags[p] = 0;
    this.mapping[p] = 0;
    this.put(k, "evictFreePut", p);
    this.counts.evictions++;
  }

  /** An anonymous page fault: a new page mapped once, added to the LRU. */
  fault(): void {
    const t = this.reader();
    const p = this.alloc(t, "anonAlloc");
    if (p < 0) return;
    this.pgFlags[p] = ANON_FLAGS;
    this.mapping[p] = 0x10000 + this.nextAnonVma;
    if (this.prng.chance(0.05)) this.nextAnonVma++;
    this.mapcountArr[p] = 1;
    this.kind[p] = KIND_ANON;
    this.poolAdd(this.anon, this.anonLen++, p);
    this.lruAdd(t, p, "anonLruGet", "anonLruDrain");
    this.counts.faults++;
  }

  /** munmap of an anonymous page: the mapping's reference goes through release_pages. */
  zap(): void {
    if (this.anonLen === 0) return;
    const p = this.anon[this.prng.below(this.anonLen)];
    this.poolRemove(this.anon, this.anonLen--, p);
    this.kind[p] = KIND_NONE;
    this.mapcountArr[p] = 0;
    const freed = this.machine.pageCount(p) === 1;
    this.put(this.reader(), "anonZapPut", p);
    if (freed) {
      this.pgFlags[p] = 0;
      this.mapping[p] = 0;
    }
    this.counts.zaps++;
  }

  /** A new operation: the scheduler put the task on some CPU. */
  private onCpu(): void {
    this.cpu = this.config.nrCpus <= 1 ? 0 : this.cpuPrng.below(this.config.nrCpus);
  }

  /** One step of the steady-state mix. */
  step(): void {
    this.onCpu();
    const r = this.prng.nextFloat();
    if (r < 0.62) this.readHit();
    else if (r < 0.8) this.readMiss();
    else if (this.anonLen < this.anonTarget ? r < 0.92 : r < 0.88) this.fault();
    else this.zap();
  }

  /** Boot-time fill: page cache and anonymous memory up to their targets (before tracing starts). */
  fill(): void {
    while (this.cacheLen < this.cacheTarget) {
      const before = this.cacheLen;
      this.readMiss();
      if (this.cacheLen === before) break;
    }
    while (this.anonLen < this.anonTarget) {
      const before = this.anonLen;
      this.fault();
      if (this.anonLen === before) break;
    }
  }

  /**
   * The driver takes a long-lived extra reference on `nrPins` page cache pages of one
   * COMPACT_CLUSTER_MAX-aligned chunk in the CMA area (its buffer). One chunk, because
   * __alloc_contig_migrate_range gives up (-EBUSY) in the first chunk that keeps failing: pages in
   * later chunks are never isolated, so never reported. Returns how many it took.
   */
  pin(): number {
    this.onCpu();
    const m = this.machine;
    const ok = (p: Pfn): boolean => p >= this.cmaStart && p < this.cmaEnd && this.kind[p] === KIND_CACHE && m.pageCount(p) === 1 && this.targetRange(p);
    const start = this.prng.below(Math.max(1, this.cacheLen));
    for (let i = 0; i < this.cacheLen; i++) {
      const p = this.cache[(start + i) % this.cacheLen];
      if (!ok(p)) continue;
      const lo = p - (p % COMPACT_CLUSTER_MAX);
      const chunk: Pfn[] = [];
      for (let q = lo; q < lo + COMPACT_CLUSTER_MAX && chunk.length < this.config.nrPins; q++) if (ok(q)) chunk.push(q);
      if (chunk.length < this.config.nrPins) continue;
      for (const q of chunk) {
        this.get(this.driver, "driverGet", q);
        this.pins.push(q);
        this.everPinned[q] = 1;
      }
      break;
    }
    return this.pins.length;
  }

  /** The driver lets go of its references (the puts that name it). */
  unpin(): void {
    this.onCpu();
    for (const p of this.pins) this.put(this.driver, "driverPut", p);
    this.pins.length = 0;
  }

  /**
   * Another task reads one of the driver's pages and holds the reference for `holdNs` (a
   * composer reading the shared buffer): the get and its put are apart in time, so a put of the
   * driver may fall while this get is open.
   */
  hotRead(holdNs: number): void {
    if (this.pins.length === 0) return;
    this.onCpu();
    const p = this.pins[this.prng.below(this.pins.length)];
    const t = this.hotReader;
    this.get(t, "hotGet", p);
    this.sim.schedule(holdNs, () => {
      this.onCpu();
      this.put(t, "hotPut", p);
    });
  }

  /** Every pageblock of the range cma_alloc would ask for around `p` has the target type (start_isolate_page_range refuses others). */
  private targetRange(p: Pfn): boolean {
    const { startPfn, endPfn } = this.cmaRange(p);
    const m = this.machine;
    for (let q = startPfn; q < endPfn; q += 1 << m.pageblockOrder) if (m.pageblockMt[q >>> m.pageblockOrder] !== this.targetMt) return false;
    return true;
  }

  /** The range cma_alloc asks for: the aligned one holding the driver's buffer. */
  cmaRange(around: Pfn = this.pinned): { startPfn: Pfn; endPfn: Pfn } {
    const n = this.config.cmaAllocPages;
    const target = around >= 0 ? around : this.cmaStart;
    const startPfn = Math.max(this.cmaStart, Math.floor(target / n) * n);
    return { startPfn, endPfn: Math.min(this.cmaEnd, startPfn + n) };
  }

  /**
   * cma_alloc over the range holding the driver's buffer: lru_add_drain, then the kernel's
   * __alloc_contig_migrate_range (contig.ts); on success @mm/buddy's alloc_contig_range takes the
   * now free range, and the buffer is handed back at once (the experiment is about the failure).
   */
  cmaAlloc(): ContigResult & { startPfn: Pfn; endPfn: Pfn } {
    this.onCpu();
    const { startPfn, endPfn } = this.cmaRange();
    const t = this.cmaTask;
    this.drain(t, "drainForContig");
    const m = this.machine;
    const res = allocContigMigrateRange(this.contigOps, startPfn, endPfn, (p) => m.pageCount(p) > 0);
    let ret = res.ret;
    if (ret === 0) {
      this.drain(t, "drainForContig");
      this.enter(t, "contigMigrate");
      ret = m.allocContigRange(startPfn, endPfn, this.targetMt);
      this.leave(t);
      if (ret === 0) m.freeContigRange(startPfn, endPfn - startPfn);
    }
    return { ...res, ret, startPfn, endPfn };
  }

  private readonly contigOps: ContigOps = {
    isLruPage: (p) => this.kind[p] !== KIND_NONE,
    isolate: (p) => this.get(this.cmaTask, "contigIsolate", p),
    migrateOne: (p) => {
      this.enter(this.cmaTask, "contigMigrate");
      // Expected: the isolation reference + the page cache's (or the mapping's) one.
      const np = this.machine.migratePage(p, MR_CONTIG_RANGE, { expectedRefs: 2, gfp: GFP_USER });
      this.leave(this.cmaTask);
      return np;
    },
    putbackMoved: (np) => {
      this.lruAdd(this.cmaTask, np, "migratedLruAdd", "migratedLruDrain");
      this.put(this.cmaTask, "migratedPut", np);
    },
    putbackFailed: (p) => {
      this.lruAdd(this.cmaTask, p, "putbackLruAdd", "putbackLruDrain");
      this.put(this.cmaTask, "putbackPut", p);
    },
  };

  private migrated(oldPfn: Pfn, newPfn: Pfn): void {
    this.counts.migrations++;
    this.pgFlags[newPfn] = this.pgFlags[oldPfn];
    this.mapping[newPfn] = this.mapping[oldPfn];
    this.mapcountArr[newPfn] = this.mapcountArr[oldPfn];
    const k = this.kind[oldPfn];
    this.kind[newPfn] = k;
    const s = this.slot[oldPfn];
    if (k === KIND_CACHE) this.cache[s] = newPfn;
    else if (k === KIND_ANON) this.anon[s] = newPfn;
    this.slot[newPfn] = s;
    this.slot[oldPfn] = -1;
    this.kind[oldPfn] = KIND_NONE;
    this.pgFlags[oldPfn] = 0;
    this.mapping[oldPfn] = 0;
    this.mapcountArr[oldPfn] = 0;
    for (let i = 0; i < this.batchLen; i++) if (this.batch[i] === oldPfn) this.batch[i] = newPfn;
    for (let i = 0; i < this.pins.length; i++) if (this.pins[i] === oldPfn) this.pins[i] = newPfn;
  }

  /** Pages in the page cache / anonymous pool now. */
  get sizes(): { cache: number; anon: number } {
    return { cache: this.cacheLen, anon: this.anonLen };
  }
}
