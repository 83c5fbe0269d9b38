/**
 * The guest's clean page cache and its reclaim: an LRU of file pages, direct reclaim of
 * SWAP_CLUSTER_MAX pages, kswapd as a background task, and workingset refaults.
 * Kernel counterpart: mm/vmscan.c (shrink_folio_list on clean file folios, balance_pgdat,
 * pgdat_balanced), mm/workingset.c (refault of an evicted page), mm/filemap.c (page cache add).
 *
 * Simplifications (named, not hidden): the two file LRU lists without PG_referenced's first-touch
 * step and without MGLRU (CONFIG_LRU_GEN_ENABLED is off by default in 6.1); every page is clean (no writeback, so reclaim never throttles: skip_throttle_noprogress);
 * no swap, so anonymous memory is not reclaimable.
 */
import { GFP_HIGHUSER_MOVABLE, __GFP_NORETRY, __GFP_NOWARN, MAX_NR_ZONES, WMARK_HIGH } from "@mm/api";
import type { BuddyMachine } from "@mm/buddy";
import { MmError } from "@mm/api";

/** SWAP_CLUSTER_MAX: direct reclaim's sc.nr_to_reclaim. */
export const SWAP_CLUSTER_MAX = 32;
/** mapping_gfp_mask() of a regular file: what a page cache fault allocates with. */
export const GFP_PAGECACHE = GFP_HIGHUSER_MOVABLE;
/** readahead_gfp_mask(): readahead gives up instead of reclaiming hard or OOM-killing. */
export const GFP_READAHEAD = GFP_HIGHUSER_MOVABLE | __GFP_NORETRY | __GFP_NOWARN;
/** Not in the page cache. */
const NONE = -1;

/** Counters of the page cache. Pages unless named. */
export interface PageCacheStats {
  /** Pages added by reads (first access). */
  added: number;
  /** Evicted by direct reclaim and by kswapd. */
  directReclaimed: number;
  kswapdReclaimed: number;
  /** workingset refaults: an evicted page accessed again (read back from disk). */
  refaults: number;
  /** Accesses that found no memory (readahead gave up). */
  addFailures: number;
}

/** Which LRU list a file page is on. */
const LRU_NONE = 0;
const LRU_INACTIVE = 1;
const LRU_ACTIVE = 2;

interface PageCacheArrays {
  pfn: Int32Array;
  next: Int32Array;
  prev: Int32Array;
  lru: Uint8Array;
  evicted: Uint8Array;
}

/**
 * Arrays of released page caches, reused by the next one of the same size on this thread. A sweep
 * runs thousands of guests per thread; about 8 MiB of fresh typed arrays per run (1 GiB guest) made
 * V8 run a full GC every few runs, whose helper threads took the second core from a second worker
 * (measured with --trace-gc and thread CPU in bench/sweep-jobs.mjs).
 */
const spare: PageCacheArrays[] = [];
const MAX_SPARE = 2;

function takeArrays(nrFiles: number): PageCacheArrays {
  const i = spare.findIndex((a) => a.lru.length === nrFiles);
  if (i < 0) {
    return {
      pfn: new Int32Array(nrFiles).fill(NONE),
      next: new Int32Array(nrFiles + 2),
      prev: new Int32Array(nrFiles + 2),
      lru: new Uint8Array(nrFiles),
      evicted: new Uint8Array(nrFiles),
    };
  }
  const a = spare.splice(i, 1)[0];
  // as new: next/prev are written before they are read (linkHead), the rest is state
  a.pfn.fill(NONE);
  a.lru.fill(0);
  a.evicted.fill(0);
  return a;
}

/**
 * The page cache of `nrFiles` file pages (indices 0 .. nrFiles-1), each resident or not, on
 * 6.1's two file LRU lists: a new page goes to the inactive list, a second access activates it
 * (mark_page_accessed), a refaulting page is activated at once (workingset_refault: its refault
 * distance is below the active list here), and reclaim takes the inactive tail after refilling
 * the inactive list from the active tail while it is the smaller one (inactive_is_low, ratio 1
 * below 1 GiB). State is struct-of-arrays indexed by file page.
 */
export class PageCache {
  readonly nrFiles: number;
  readonly pfn: Int32Array;
  /** LRU links by file index; nrFiles and nrFiles + 1 are the inactive and active list heads. */
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly lru: Uint8Array;
  /** 1 = evicted after having been resident (a shadow entry in the mapping's xarray). */
  readonly evicted: Uint8Array;
  /** Resident pages per zone (zone_reclaimable_pages: the file LRU; no swap, so no anon). */
  readonly zoneResident = new Int32Array(MAX_NR_ZONES);
  resident = 0;
  nrActive = 0;
  nrInactive = 0;
  readonly stats: PageCacheStats = { added: 0, directReclaimed: 0, kswapdReclaimed: 0, refaults: 0, addFailures: 0 };
  private arrays: PageCacheArrays | null;

  constructor(
    private readonly machine: BuddyMachine,
    nrFiles: number,
  ) {
    this.nrFiles = nrFiles;
    const a = takeArrays(nrFiles);
    this.arrays = a;
    this.pfn = a.pfn;
    this.next = a.next;
    this.prev = a.prev;
    this.lru = a.lru;
    this.evicted = a.evicted;
    for (const h of [nrFiles, nrFiles + 1]) {
      this.next[h] = h;
      this.prev[h] = h;
    }
  }

  /**
   * The run is over: hand the arrays to the next page cache of this size on this thread. Any
   * later use of this cache is a bug (the arrays are another run's then).
   */
  release(): void {
    if (this.arrays === null) return;
    if (spare.length < MAX_SPARE) spare.push(this.arrays);
    this.arrays = null;
  }

  isResident(f: number): boolean {
    return this.pfn[f] !== NONE;
  }

  /** Is file page f on the active list? */
  isActive(f: number): boolean {
    return this.lru[f] === LRU_ACTIVE;
  }

  private linkHead(f: number, list: number): void {
    const h = this.nrFiles + list - 1;
    const first = this.next[h];
    this.next[f] = first;
    this.prev[f] = h;
    this.prev[first] = f;
    this.next[h] = f;
    this.lru[f] = list;
    if (list === LRU_ACTIVE) this.nrActive++;
    else this.nrInactive++;
  }

  private unlink(f: number): void {
    const n = this.next[f];
    const p = this.prev[f];
    this.next[p] = n;
    this.prev[n] = p;
    if (this.lru[f] === LRU_ACTIVE) this.nrActive--;
    else this.nrInactive--;
    this.lru[f] = LRU_NONE;
  }

  /**
   * Access file page f (read or mapped fault). A resident page is activated (or moves to the
   * active head); a missing one is allocated and read in.
   * @returns 0 = hit, 1 = read (first time), 2 = refault of an evicted page, -1 = no memory
   * @throws MmError EINVAL for a file page outside 0 .. nrFiles - 1 (nothing changes)
   */
  access(f: number, gfp: number): number {
    if (!(f >= 0 && f < this.nrFiles && (f | 0) === f)) throw new MmError("EINVAL", `file page ${f} not in 0..${this.nrFiles - 1}`);
    if (this.pfn[f] !== NONE) {
      this.unlink(f);
      this.linkHead(f, LRU_ACTIVE);
      return 0;
    }
    const pfn = this.machine.allocPages(0, gfp);
    if (pfn < 0) {
      this.stats.addFailures++;
      return -1;
    }
    this.pfn[f] = pfn;
    this.resident++;
    this.zoneResident[this.machine.zoneOf(pfn)]++;
    if (this.evicted[f] === 1) {
      this.evicted[f] = 0;
      this.stats.refaults++;
      this.linkHead(f, LRU_ACTIVE);
      return 2;
    }
    this.linkHead(f, LRU_INACTIVE);
    this.stats.added++;
    return 1;
  }

  /** Evict up to n pages from the inactive tail (clean: freed at once). @returns pages freed */
  evict(n: number, byKswapd: boolean): number {
    const ih = this.nrFiles;
    const ah = this.nrFiles + 1;
    let done = 0;
    while (done < n) {
      // shrink_active_list: refill the inactive list while it is the smaller one
      if (this.nrInactive <= this.nrActive && this.nrActive > 0) {
        const a = this.prev[ah];
        this.unlink(a);
        this.linkHead(a, LRU_INACTIVE);
      }
      const f = this.prev[ih];
      if (f === ih) break;
      this.unlink(f);
      const pfn = this.pfn[f];
      this.pfn[f] = NONE;
      this.evicted[f] = 1;
      this.resident--;
      this.zoneResident[this.machine.zoneOf(pfn)]--;
      this.machine.freePages(pfn, 0);
      done++;
    }
    if (byKswapd) this.stats.kswapdReclaimed += done;
    else this.stats.directReclaimed += done;
    return done;
  }
}

/** Options of the kswapd task. */
export interface KswapdOptions {
  /** Simulated ns per reclaimed clean page (calibrated: costs.ts). */
  readonly nsPerPage: number;
  /** Pages reclaimed per step before kswapd looks at the watermarks again. @defaultValue 1024 */
  readonly batch?: number;
  /** The CPU kswapd runs on: the pcp lists its frees go to. @defaultValue the last CPU */
  readonly cpu?: number;
}

/** The scheduler kswapd runs on. */
export interface KswapdScheduler {
  schedule(delayNs: number, fn: () => void): unknown;
}

/**
 * kswapd: woken by the allocator's slow path, it reclaims page cache in the background (on
 * another vCPU, so it costs the faulting task nothing) until pgdat_balanced(): some zone is above
 * its high watermark plus the lowmem reserve for the highest zone. While it runs its zones are
 * ZONE_RECLAIM_ACTIVE (balance_pgdat's set_reclaim_active), which caps pcp->high at 4 batches.
 */
export class Kswapd {
  running = false;
  wakeups = 0;
  /** kswapd_failures: balance_pgdat runs that reclaimed nothing. */
  failures = 0;
  private readonly batch: number;
  private readonly step: () => void;

  constructor(
    private readonly machine: BuddyMachine,
    private readonly cache: PageCache,
    private readonly sched: KswapdScheduler,
    private readonly opts: KswapdOptions,
  ) {
    this.batch = opts.batch ?? 1024;
    this.step = () => this.run();
  }

  /** pgdat_balanced(): one zone at or above high + lowmem_reserve[highest] is enough. */
  balanced(): boolean {
    const zones = this.machine.zones;
    let highest = 0;
    for (const z of zones) if (z.managed > 0) highest = z.idx;
    for (const z of zones) {
      if (z.managed === 0) continue;
      if (z.freePages >= this.machine.zoneWatermark(z.idx, WMARK_HIGH) + z.lowmemReserve[highest]) return true;
    }
    return false;
  }

  /** wakeup_kswapd(). */
  wake(): void {
    if (this.running) return;
    if (this.balanced()) return;
    this.running = true;
    this.wakeups++;
    this.sched.schedule(0, this.step);
  }

  /** set_reclaim_active / clear_reclaim_active over the managed zones. */
  private setReclaimActive(on: boolean): void {
    for (const z of this.machine.zones) if (z.managed > 0) this.machine.setZoneReclaimActive(z.idx, on);
  }

  private run(): void {
    if (this.balanced()) {
      this.running = false;
      this.setReclaimActive(false);
      return;
    }
    this.setReclaimActive(true);
    const m = this.machine;
    const cpu = m.currentCpu;
    m.setCpu(this.opts.cpu ?? m.cpus - 1);
    const n = this.cache.evict(this.batch, true);
    m.setCpu(cpu);
    if (n === 0) {
      this.failures++;
      this.running = false;
      this.setReclaimActive(false);
      return;
    }
    this.sched.schedule(Math.max(1, Math.round(n * this.opts.nsPerPage)), this.step);
  }
}
