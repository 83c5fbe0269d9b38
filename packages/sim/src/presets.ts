/**
 * Workload presets. Call sites, gfp masks, comms and order mixes come from a real capture
 * (Linux 6.1.192, 256 MiB x86-64 guest, page_owner=on; see fixtures/kernel-6.1-256M):
 * the allocation traces are frames exactly as that kernel printed them, innermost first, starting
 * at get_page_from_freelist (6.1 inlines post_alloc_hook). @mm/buddy does not push frames, so the
 * workload pushes the allocator's own frames too. Free traces are plausible free paths with
 * synthetic offsets (the 6.1 dump does not print free stacks).
 */
import type { Dist, WorkloadOptions, WorkloadSite } from "./workload.js";

/** Frames every 6.1 page allocation trace starts with. */
const ALLOC_HEAD = ["get_page_from_freelist+0x41c/0xf00", "__alloc_pages+0x1d7/0x330"] as const;
/** Forever, as most boot-time kernel allocations are. */
const FOREVER: Dist = { kind: "forever" };
/** ns per second. */
const NS_PER_SEC = 1_000_000_000;

/** Slab page freed when a slab becomes empty. */
const SLAB_FREE = ["__free_slab", "discard_slab", "__slab_free", "kmem_cache_free"];
/** vfree through the deferred free work. */
const VFREE = ["__vunmap", "free_work", "process_one_work", "worker_thread", "kthread", "ret_from_fork"];
/** Anonymous memory released at exit (zap + tlb batch). */
const ANON_FREE = ["free_unref_page_list", "release_pages", "tlb_batch_pages_flush", "tlb_finish_mmu", "exit_mmap", "__mmput", "do_exit"];
/** shmem/tmpfs pages dropped on truncate/unlink. */
const SHMEM_FREE = ["free_unref_page_list", "release_pages", "__pagevec_release", "shmem_undo_range", "shmem_evict_inode", "evict", "do_unlinkat"];

/** The boot sites (trace, gfp, comm, orders, relative weight from the capture). */
function bootSites(): WorkloadSite[] {
  return [
    {
      name: "kernfs-slab",
      weight: 487,
      gfp: 0x12cc0, // GFP_KERNEL|__GFP_NOWARN|__GFP_NORETRY
      orderWeights: [1],
      lifetimeNs: FOREVER,
      comm: "swapper/0",
      trace: [
        ...ALLOC_HEAD,
        "alloc_page_interleave+0xa/0x70",
        "allocate_slab+0x32f/0x490",
        "___slab_alloc+0x2fe/0x860",
        "kmem_cache_alloc+0x2b2/0x2f0",
        "__kernfs_new_node+0x58/0x200",
        "kernfs_new_node+0x4d/0x70",
        "__kernfs_create_file+0x20/0xb0",
        "sysfs_add_file_mode_ns+0x69/0x120",
        "internal_create_group+0x120/0x3a0",
        "sysfs_slab_add+0x1b2/0x220",
        "slab_sysfs_init+0x79/0xea",
        "do_one_initcall+0x8f/0x17e",
        "kernel_init_freeable+0x206/0x26b",
        "kernel_init+0x11/0x110",
      ],
      freeTrace: SLAB_FREE,
    },
    {
      name: "pcpu-chunk",
      weight: 527,
      gfp: 0x12d02, // GFP_NOIO|__GFP_HIGHMEM|__GFP_NOWARN|__GFP_NORETRY|__GFP_ZERO
      orderWeights: [1],
      lifetimeNs: FOREVER,
      comm: "kworker/1:1",
      kthread: true,
      trace: [
        ...ALLOC_HEAD,
        "__vmalloc_node_range+0x39c/0x880",
        "__vmalloc_node+0x3f/0x60",
        "pcpu_create_chunk+0x162/0x1b0",
        "pcpu_balance_workfn+0x2dc/0x510",
        "process_one_work+0x1e9/0x3a0",
        "worker_thread+0x45/0x3b0",
        "kthread+0xd5/0x100",
        "ret_from_fork+0x22/0x30",
      ],
      freeTrace: VFREE,
    },
    {
      name: "inode-slab",
      weight: 340,
      gfp: 0xd20d0, // __GFP_IO|__GFP_FS|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP|__GFP_NOMEMALLOC|__GFP_RECLAIMABLE
      orderWeights: [0, 1],
      lifetimeNs: FOREVER,
      comm: "kworker/u4:0",
      kthread: true,
      trace: [
        ...ALLOC_HEAD,
        "allocate_slab+0x32f/0x490",
        "___slab_alloc+0x2fe/0x860",
        "kmem_cache_alloc_lru+0x335/0x400",
        "alloc_inode+0x54/0xc0",
        "new_inode+0xe/0xa0",
        "tracefs_get_inode+0xa/0x50",
        "tracefs_create_file+0x8d/0x1c0",
        "trace_create_file+0xd/0x30",
        "event_create_dir+0x2cd/0x4a0",
        "__trace_early_add_event_dirs+0x29/0x50",
        "event_trace_init+0x6f/0x97",
        "tracer_init_tracefs_work_func+0x13/0x1ca",
        "process_one_work+0x1e9/0x3a0",
        "worker_thread+0x45/0x3b0",
      ],
      freeTrace: SLAB_FREE,
    },
    {
      name: "dentry-slab",
      weight: 212,
      gfp: 0x12cd0, // GFP_KERNEL|__GFP_NOWARN|__GFP_NORETRY|__GFP_RECLAIMABLE
      orderWeights: [1],
      // dentries are reclaimable: most stay, some slabs empty out later
      lifetimeNs: {
        kind: "mix",
        parts: [
          { weight: 9, dist: FOREVER },
          { weight: 1, dist: { kind: "lognormal", median: 2 * NS_PER_SEC, sigma: 1 } },
        ],
      },
      comm: "kworker/u4:0",
      kthread: true,
      trace: [
        ...ALLOC_HEAD,
        "allocate_slab+0x32f/0x490",
        "___slab_alloc+0x2fe/0x860",
        "kmem_cache_alloc_lru+0x335/0x400",
        "__d_alloc+0x24/0x1d0",
        "d_alloc+0x10/0x80",
        "d_alloc_parallel+0x50/0x3e0",
        "__lookup_slow+0x58/0x130",
        "lookup_one_len+0x8f/0xa0",
        "start_creating.part.0+0x44/0xc0",
        "__create_dir+0x3a/0x1a0",
        "event_create_dir+0x183/0x4a0",
        "__trace_early_add_event_dirs+0x29/0x50",
        "event_trace_init+0x6f/0x97",
        "tracer_init_tracefs_work_func+0x13/0x1ca",
      ],
      freeTrace: SLAB_FREE,
    },
    {
      name: "zswap-vmalloc",
      weight: 124,
      gfp: 0x2cc2, // GFP_KERNEL|__GFP_HIGHMEM|__GFP_NOWARN
      orderWeights: [1],
      lifetimeNs: FOREVER,
      comm: "swapper/0",
      trace: [
        ...ALLOC_HEAD,
        "__vmalloc_node_range+0x357/0x880",
        "__vmalloc_node+0x3f/0x60",
        "crypto_scomp_init_tfm+0x8e/0xd0",
        "crypto_create_tfm_node+0x3e/0xe0",
        "crypto_init_scomp_ops_async+0x2f/0x90",
        "crypto_create_tfm_node+0x3e/0xe0",
        "crypto_alloc_tfm_node+0x54/0x100",
        "zswap_cpu_comp_prepare+0x3a/0xe0",
        "cpuhp_invoke_callback+0x95/0x470",
        "cpuhp_issue_call+0xfc/0x170",
        "__cpuhp_state_add_instance_cpuslocked+0x7c/0x120",
        "__cpuhp_state_add_instance+0x41/0xc0",
        "zswap_pool_create+0x113/0x1a0",
        "init_zswap+0xe9/0x4a6",
      ],
      freeTrace: VFREE,
    },
    {
      name: "large-system-hash",
      weight: 97,
      gfp: 0xa20, // GFP_ATOMIC (6.1: with __GFP_ATOMIC)
      orderWeights: [1],
      lifetimeNs: FOREVER,
      comm: "swapper/0",
      trace: [
        ...ALLOC_HEAD,
        "alloc_page_interleave+0xa/0x70",
        "alloc_pages_exact+0x2d/0x80",
        "alloc_large_system_hash+0x1c2/0x277",
        "inet_hashinfo2_init+0x84/0x95",
        "tcp_init+0x76/0x2d6",
        "inet_init+0x1b0/0x291",
        "do_one_initcall+0x8f/0x17e",
        "kernel_init_freeable+0x206/0x26b",
        "kernel_init+0x11/0x110",
        "ret_from_fork+0x22/0x30",
      ],
    },
    {
      name: "kthread-stack",
      weight: 78,
      gfp: 0x2dc2, // GFP_KERNEL|__GFP_HIGHMEM|__GFP_NOWARN|__GFP_ZERO
      orderWeights: [1],
      lifetimeNs: {
        kind: "mix",
        parts: [
          { weight: 4, dist: FOREVER },
          { weight: 1, dist: { kind: "exp", mean: 3 * NS_PER_SEC } },
        ],
      },
      comm: "kthreadd",
      kthread: true,
      trace: [
        ...ALLOC_HEAD,
        "__vmalloc_node_range+0x39c/0x880",
        "copy_process+0x298/0x1990",
        "kernel_clone+0xba/0x430",
        "kernel_thread+0x5e/0x90",
        "kthreadd+0x268/0x2b0",
        "ret_from_fork+0x22/0x30",
      ],
      freeTrace: VFREE,
    },
    {
      name: "slab-high-order",
      weight: 62,
      gfp: 0xd20c0, // __GFP_IO|__GFP_FS|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP|__GFP_NOMEMALLOC
      orderWeights: [0, 15, 23, 24],
      lifetimeNs: FOREVER,
      comm: "swapper/0",
      trace: [
        ...ALLOC_HEAD,
        "alloc_page_interleave+0xa/0x70",
        "allocate_slab+0x32f/0x490",
        "___slab_alloc+0x2fe/0x860",
        "kmem_cache_alloc+0x2b2/0x2f0",
        "do_one_initcall+0x8f/0x17e",
        "kernel_init_freeable+0x206/0x26b",
        "kernel_init+0x11/0x110",
      ],
      freeTrace: SLAB_FREE,
    },
  ];
}

/** Options of `bootPreset`. */
export interface BootPresetOptions {
  /** Allocations in total. @defaultValue 1927 (the capture's count for these sites) */
  arrivals?: number;
  /** Mean allocations per simulated second. @defaultValue 1500 */
  ratePerSec?: number;
}

/**
 * "Boot-like": many long-lived kernel allocations from a handful of distinct call sites (8 traces,
 * 6 comms), so page_owner and stackdepot see realistic duplicate stacks. Mostly never freed.
 */
export function bootPreset(options: BootPresetOptions = {}): Omit<WorkloadOptions, "prng"> {
  return {
    ratePerSec: options.ratePerSec ?? 1500,
    maxArrivals: options.arrivals ?? 1927,
    sites: bootSites(),
  };
}

/** Options of `pageCachePreset`. */
export interface PageCachePresetOptions {
  /** Mean allocations per simulated second. @defaultValue 20000 */
  ratePerSec?: number;
  /** Transient get/put pairs per allocation (LRU isolation, page cache lookups). @defaultValue 4 */
  refsPerAlloc?: number;
  /** Mean lifetime of a page, ns. @defaultValue 2e9 (2 s) */
  meanLifetimeNs?: number;
  /** Share of anonymous faults that get a THP (order 9). @defaultValue 0 */
  thpShare?: number;
  /** Stop after this long. @defaultValue Infinity */
  durationNs?: number;
  /** Stop after this many allocations. @defaultValue Infinity */
  arrivals?: number;
}

/**
 * "Page cache / LRU, put-heavy": user pages (anonymous faults, tmpfs writes, COW) with short to
 * medium lifetimes and several transient get/put pairs per page, so reference-drop paths
 * dominate. Mostly order 0, movable.
 */
export function pageCachePreset(options: PageCachePresetOptions = {}): Omit<WorkloadOptions, "prng"> {
  const rate = options.ratePerSec ?? 20000;
  const mean = options.meanLifetimeNs ?? 2 * NS_PER_SEC;
  const thp = options.thpShare ?? 0;
  const anonOrders = thp > 0 ? [1 - thp, 0, 0, 0, 0, 0, 0, 0, 0, thp] : [1];
  const refsPerAlloc = options.refsPerAlloc ?? 4;
  const fault = ["handle_mm_fault+0xe9/0x2e0", "exc_page_fault+0x19d/0x6a0", "asm_exc_page_fault+0x22/0x30"];
  const folio = [...ALLOC_HEAD, "__folio_alloc+0x12/0x40", "vma_alloc_folio+0x97/0x360"];
  const out: Omit<WorkloadOptions, "prng"> = {
    ratePerSec: rate,
    sites: [
      {
        name: "anon-fault",
        weight: 7432,
        gfp: 0x140dca, // GFP_HIGHUSER_MOVABLE|__GFP_COMP|__GFP_ZERO
        orderWeights: anonOrders,
        lifetimeNs: { kind: "exp", mean },
        comm: "memhog",
        trace: [...folio, "__handle_mm_fault+0x849/0xda0", ...fault],
        freeTrace: ANON_FREE,
      },
      {
        name: "shmem-write",
        weight: 3330,
        gfp: 0x140cca, // GFP_HIGHUSER_MOVABLE|__GFP_COMP
        orderWeights: [1],
        lifetimeNs: { kind: "lognormal", median: mean, sigma: 1.5 },
        comm: "dd",
        trace: [
          ...folio,
          "shmem_alloc_folio+0x7d/0xd0",
          "shmem_alloc_and_acct_folio+0x76/0x1a0",
          "shmem_get_folio_gfp+0x310/0x790",
          "shmem_write_begin+0x60/0x130",
          "generic_perform_write+0xd3/0x230",
          "__generic_file_write_iter+0xb7/0xc0",
          "generic_file_write_iter+0x5c/0xd0",
          "vfs_write+0x230/0x3e0",
          "ksys_write+0x66/0xe0",
          "do_syscall_64+0x34/0x90",
          "entry_SYSCALL_64_after_hwframe+0x6e/0xd8",
        ],
        freeTrace: SHMEM_FREE,
      },
      {
        name: "cow-fault",
        weight: 1071,
        gfp: 0x140cca, // GFP_HIGHUSER_MOVABLE|__GFP_COMP
        orderWeights: [1],
        lifetimeNs: { kind: "exp", mean: mean / 2 },
        comm: "memhog",
        trace: [...folio, "wp_page_copy+0x7c/0x960", "__handle_mm_fault+0x8b7/0xda0", ...fault],
        freeTrace: ANON_FREE,
      },
      {
        name: "pte-alloc",
        weight: 67,
        gfp: 0x400dc0, // GFP_KERNEL_ACCOUNT|__GFP_ZERO
        orderWeights: [1],
        lifetimeNs: { kind: "exp", mean },
        comm: "memhog",
        trace: [...ALLOC_HEAD, "pte_alloc_one+0xf/0x50", "__pte_alloc+0x21/0xa0", "__handle_mm_fault+0xc70/0xda0", ...fault],
        freeTrace: ["free_unref_page", "___pte_free_tlb", "free_pgd_range", "free_pgtables", "exit_mmap", "__mmput", "do_exit"],
      },
    ],
  };
  if (refsPerAlloc > 0) out.refs = { ratePerSec: rate * refsPerAlloc, holdNs: { kind: "exp", mean: 2000 } };
  if (options.durationNs !== undefined) out.durationNs = options.durationNs;
  if (options.arrivals !== undefined) out.maxArrivals = options.arrivals;
  return out;
}
