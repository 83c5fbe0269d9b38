/**
 * Texts as the kernel prints them, written from its seq_printf calls (test-only): stack_print()
 * of mm/page_owner.c for each page_owner_stacks file (6.9 and 6.19), and allocinfo_show() of
 * lib/alloc_tag.c. A seeded PRNG makes the random inputs reproducible.
 */

/** One stack_record as stack_print() sees it. */
export interface KStack {
  readonly handle: number; // u32
  readonly frames: readonly string[]; // %pS text of each entry
  readonly count: number; // refcount - 1 = nr_base_pages
}

const STACK = 1;
const PAGES = 2;
const HANDLE = 4;
const FLAGS = { show_stacks: STACK | PAGES, show_handles: HANDLE | PAGES, show_stacks_handles: STACK | HANDLE } as const;

/** `%d` of a u32 handle (printed through int). */
const d = (u32: number): string => String(u32 | 0);

/** stack_print() over the list (head first), 6.19 version (and 6.9 for show_stacks). */
export function stackPrint(list: readonly KStack[], file: keyof typeof FLAGS, threshold = 0, era: "6.9" | "6.19" = "6.19"): string {
  const flags = FLAGS[file];
  let m = "";
  for (const s of list) {
    const nr = s.count;
    if (era === "6.9") {
      // 6.9: unconditional filter; frames; "nr_base_pages: %d\n\n"
      if (nr < 1 || nr < threshold) continue;
      for (const f of s.frames) m += ` ${f}\n`;
      m += `nr_base_pages: ${nr}\n\n`;
      continue;
    }
    if (flags & PAGES && (nr < 1 || nr < threshold)) continue;
    if (flags & STACK) for (const f of s.frames) m += ` ${f}\n`;
    if (flags & HANDLE) m += `handle: ${d(s.handle)}\n`;
    if (flags & PAGES) m += `nr_base_pages: ${nr}\n`;
    m += "\n";
  }
  return m;
}

/** xorshift32: small, seeded, deterministic. */
export function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

const SYMS = ["__alloc_pages", "alloc_pages_mpol", "folio_alloc", "kmalloc_large", "vma_alloc_folio", "do_anonymous_page", "handle_mm_fault", "ext4_da_write_begin", "__do_sys_mmap", "entry_SYSCALL_64_after_hwframe"];

/** `n` distinct random stacks with distinct handles (some with the high bit set: negative %d). */
export function randomStacks(n: number, seed: number): KStack[] {
  const r = prng(seed);
  const out: KStack[] = [];
  const handles = new Set<number>();
  for (let i = 0; i < n; i++) {
    let h: number;
    do h = Math.floor(r() * 2 ** 32);
    while (h === 0 || handles.has(h));
    handles.add(h);
    const depth = 1 + Math.floor(r() * 8);
    const frames: string[] = [];
    for (let k = 0; k < depth; k++) {
      const sym = SYMS[Math.floor(r() * SYMS.length)];
      frames.push(`${sym}+0x${Math.floor(r() * 0x400).toString(16)}/0x${(0x400 + Math.floor(r() * 0x400)).toString(16)}`);
    }
    frames.push(`site_${i}+0x10/0x80`); // unique per stack
    out.push({ handle: h, frames, count: Math.floor(r() * 4) === 0 ? 0 : 1 + Math.floor(r() * 5000) });
  }
  return out;
}

/** One codetag as allocinfo_show() prints it. */
export interface KTag {
  readonly bytes: bigint;
  readonly calls: bigint;
  readonly filename: string;
  readonly lineno: number;
  readonly modname: string | null;
  readonly func: string;
  readonly inaccurate: boolean;
}

/** print_allocinfo_header() + alloc_tag_to_text() per tag (`accurate:no` from 2.0 on). */
export function allocinfoShow(tags: readonly KTag[], version: "1.0" | "2.0"): string {
  let s = `allocinfo - version: ${version}\n#     <size>  <calls> <tag info>\n`;
  for (const t of tags) {
    s += `${String(t.bytes).padStart(12)} ${String(t.calls).padStart(8)} `;
    s += t.modname === null ? `${t.filename}:${t.lineno} func:${t.func}` : `${t.filename}:${t.lineno} [${t.modname}] func:${t.func}`;
    if (version === "2.0" && t.inaccurate) s += " accurate:no";
    s += " \n";
  }
  return s;
}

export function randomTags(n: number, seed: number): KTag[] {
  const r = prng(seed);
  const files = ["mm/slub.c", "mm/page_alloc.c", "fs/xfs/xfs_mount.c", "kernel/fork.c", "lib/alloc_tag.c"];
  const out: KTag[] = [];
  for (let i = 0; i < n; i++) {
    const calls = BigInt(Math.floor(r() * 5) === 0 ? 0 : Math.floor(r() * 100000));
    const size = BigInt(8 << Math.floor(r() * 10));
    out.push({
      bytes: calls * size,
      calls,
      filename: files[Math.floor(r() * files.length)],
      lineno: 1 + Math.floor(r() * 3000),
      modname: r() < 0.2 ? "xfs" : null,
      func: `fn_${Math.floor(r() * 50)}`,
      inaccurate: r() < 0.1,
    });
  }
  return out;
}
