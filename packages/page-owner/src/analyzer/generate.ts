// A synthetic /sys/kernel/debug/page_owner dump: realistic records drawn from a seeded, Zipf-skewed
// distribution of allocation stacks (a few stacks hold most pages, as in real dumps). Used by the
// benchmarks (up to 1 GiB, streamed) and the fuzz tests. Same seed and options: same bytes.

import { formatGfp, gfpMigratetype, MIGRATETYPE_NAMES } from "@mm/api";

/** Options of {@link generatePageOwnerDump}. */
export interface GenerateOptions {
  /** PRNG seed. */
  readonly seed: number;
  /**
   * Record format: "6.1" (decimal PFN, `free_ts`), "6.12" (hex PFN, no `free_ts`).
   * @defaultValue "6.12"
   */
  readonly era?: "6.1" | "6.12";
  /**
   * Stop after about this many bytes (the record that crosses it is the last).
   * @defaultValue 1 MiB
   */
  readonly bytes?: number;
  /**
   * Distinct allocation stacks in the distribution.
   * @defaultValue 400
   */
  readonly stacks?: number;
  /**
   * Size of the yielded text chunks.
   * @defaultValue 256 KiB
   */
  readonly chunkSize?: number;
}

/** mulberry32: a small, fast, seedable 32-bit PRNG. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Frames every page allocation stack starts with (6.1 x86-64 offsets from the real capture). */
const ALLOC_PREFIX = ["get_page_from_freelist+0x41c/0xf00", "__alloc_pages+0x1d7/0x330"];

/** Callers seen in real dumps; the generator chains them into plausible stacks. */
const CALLERS = [
  "__folio_alloc", "vma_alloc_folio", "shmem_alloc_folio", "shmem_alloc_and_acct_folio",
  "shmem_get_folio_gfp", "shmem_write_begin", "generic_perform_write", "__generic_file_write_iter",
  "generic_file_write_iter", "vfs_write", "ksys_write", "__handle_mm_fault", "handle_mm_fault",
  "exc_page_fault", "asm_exc_page_fault", "wp_page_copy", "do_anonymous_page", "allocate_slab",
  "___slab_alloc", "kmem_cache_alloc", "kmem_cache_alloc_node", "__kmalloc", "kmalloc_trace",
  "alloc_vmap_area", "__get_vm_area_node", "__vmalloc_node_range", "__alloc_pages_bulk",
  "pte_alloc_one", "__pte_alloc", "__pmd_alloc", "copy_page_range", "dup_mm", "copy_process",
  "kernel_clone", "__do_sys_clone", "do_syscall_64", "entry_SYSCALL_64_after_hwframe",
  "alloc_pages_exact", "dma_direct_alloc", "virtqueue_add_split", "page_cache_ra_unbounded",
  "filemap_fault", "__do_fault", "do_read_fault", "ext4_mpage_readpages", "read_pages",
  "alloc_thread_stack_node", "dup_task_struct", "pcpu_populate_chunk", "pcpu_balance_workfn",
  "process_one_work", "worker_thread", "kthread", "ret_from_fork", "load_elf_binary",
  "bprm_execve", "do_execveat_common", "__x64_sys_execve", "alloc_skb_with_frags", "sock_alloc_send_pskb",
  "unix_stream_sendmsg", "sock_sendmsg", "__sys_sendto", "khugepaged", "collapse_huge_page",
  "compact_zone", "kcompactd_do_work", "migrate_pages", "alloc_migration_target",
];

/** (gfp, order weights) per allocation kind. */
const KINDS: readonly { gfp: number; orders: readonly number[] }[] = [
  { gfp: 0x140cca, orders: [0] }, // GFP_HIGHUSER_MOVABLE|__GFP_COMP
  { gfp: 0x140dca, orders: [0] }, // ...|__GFP_ZERO
  { gfp: 0x100cca, orders: [0] }, // GFP_HIGHUSER_MOVABLE
  { gfp: 0xcc0, orders: [0, 0, 0, 1] }, // GFP_KERNEL
  { gfp: 0x12cc0, orders: [0, 0, 1, 2, 3] }, // GFP_KERNEL|__GFP_NOWARN|__GFP_NORETRY (slab)
  { gfp: 0x2dc2, orders: [0] }, // vmalloc
  { gfp: 0x400cc0, orders: [0, 0, 1] }, // GFP_KERNEL_ACCOUNT
  { gfp: 0x152800, orders: [0, 9] }, // THP-ish
  { gfp: 0x0, orders: [0] }, // early pages
];

const COMMS = [
  ["swapper/0", 1], ["kthreadd", 2], ["kworker/u4:0", 9], ["kworker/1:1", 35], ["systemd", 101],
  ["dd", 111], ["memhog", 116], ["memhog", 117], ["cat", 130], ["sh", 140], ["bash", 220],
  ["postgres", 1042], ["java", 2210], ["nginx", 3101], ["stress-ng-brk", 5640],
] as const;

/** One stack of the distribution with everything its records share. */
interface Profile {
  frames: string;
  gfp: number;
  gfpText: string;
  orders: readonly number[];
  task: number;
  memcg: boolean;
  slab: boolean;
}

function hex(n: number): string {
  return n.toString(16);
}

/** The distribution: `n` stacks, Zipf(1.1) weights, as a cumulative table. */
function buildProfiles(rand: () => number, n: number, era: "6.1" | "6.12"): { profiles: Profile[]; cdf: Float64Array } {
  const profiles: Profile[] = [];
  const cdf = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const kind = KINDS[Math.floor(rand() * KINDS.length)];
    const depth = 3 + Math.floor(rand() * 12);
    let frames = kind.gfp === 0 ? "" : ALLOC_PREFIX.map((f) => ` ${f}\n`).join("");
    const start = Math.floor(rand() * CALLERS.length);
    for (let d = 0; d < depth; d++) {
      const fn = CALLERS[(start + d * 7 + Math.floor(rand() * 3)) % CALLERS.length];
      const size = 0x40 + Math.floor(rand() * 0xfc0);
      frames += ` ${fn}+0x${hex(Math.floor(rand() * size))}/0x${hex(size)}\n`;
    }
    if (kind.gfp === 0) frames = " register_early_stack+0x31/0x65\n init_page_owner+0x33/0x300\n";
    profiles.push({
      frames,
      gfp: kind.gfp,
      gfpText: `0x${hex(kind.gfp)}(${formatGfp(kind.gfp, era === "6.1" ? "6.1" : "current")})`,
      orders: kind.orders,
      task: Math.floor(rand() * COMMS.length),
      memcg: (kind.gfp & 0x8) !== 0 || (kind.gfp & 0x400000) !== 0,
      slab: kind.gfp === 0x12cc0,
    });
    total += 1 / Math.pow(i + 1, 1.1);
    cdf[i] = total;
  }
  for (let i = 0; i < n; i++) cdf[i] /= total;
  return { profiles, cdf };
}

/**
 * Yields a page_owner dump as text chunks (ASCII), deterministic for a given seed and options.
 */
export function* generatePageOwnerDump(options: GenerateOptions): Generator<string, void, undefined> {
  const rand = mulberry32(options.seed);
  const era = options.era ?? "6.12";
  const limit = options.bytes ?? 1 << 20;
  const chunkSize = options.chunkSize ?? 256 << 10;
  const { profiles, cdf } = buildProfiles(rand, options.stacks ?? 400, era);
  let pfn = 4096;
  let ts = 500_000_000;
  let written = 0;
  let chunk = "";
  while (written < limit) {
    const u = rand();
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    const p = profiles[lo];
    const order = p.orders[Math.floor(rand() * p.orders.length)];
    pfn = Math.ceil(pfn / (1 << order)) * (1 << order);
    ts += 1 + Math.floor(rand() * 200_000);
    const [comm, pid] = COMMS[p.task];
    const mt = MIGRATETYPE_NAMES[gfpMigratetype(p.gfp)];
    let rec = `Page allocated via order ${order}, mask ${p.gfpText}, pid ${pid}, tgid ${pid} (${comm}), ts ${ts} ns`;
    if (era === "6.1") rec += `, free_ts ${rand() < 0.2 ? ts - 1 - Math.floor(rand() * 400_000_000) : 0} ns`;
    const flags = p.slab ? "0x8000000000200(slab|node=0|zone=1)" : "0x8000000000000(node=0|zone=1)";
    rec += `\nPFN ${era === "6.1" ? pfn : `0x${hex(pfn)}`} type ${mt} Block ${pfn >>> 9} type ${mt} Flags ${flags}\n`;
    rec += p.frames;
    if (rand() < 0.002) rec += "Page has been migrated, last migrate reason: compaction\n";
    if (p.memcg) rec += "Charged to memcg /\n";
    rec += "\n";
    pfn += 1 << order;
    written += rec.length;
    chunk += rec;
    if (chunk.length >= chunkSize) {
      yield chunk;
      chunk = "";
    }
  }
  if (chunk.length !== 0) yield chunk;
}
