/**
 * page_owner's text outputs, byte-exact per era: the debugfs `page_owner` file (read_page_owner,
 * print_page_owner, print_page_owner_memcg), dump_page_owner (__dump_page_owner), the
 * page_owner_stacks/ files (6.9+, 6.19) and pagetypeinfo's "Number of mixed blocks" section
 * (pagetypeinfo_showmixedcount_print). Kernel: mm/page_owner.c, mm/vmstat.c.
 */
import {
  formatGfpMask,
  formatPageFlags,
  gfpMigratetype,
  MAX_ORDER_NR_PAGES,
  MAX_PAGE_ORDER,
  MIGRATE_CMA,
  MIGRATE_MOVABLE,
  MIGRATE_REASON_NAMES,
  MIGRATE_TYPES,
  MIGRATETYPE_NAMES,
  type Migratetype,
  MmError,
  PAGE_SIZE,
  PAGEBLOCK_NR_PAGES,
  PAGEBLOCK_ORDER,
  type Pfn,
} from "@mm/api";
import { PAGE_EXT_OWNER, PAGE_EXT_OWNER_ALLOCATED } from "@mm/page-ext";
import { PAGE_OWNER_STACK_DEPTH, type OwnerZone } from "./api.js";
import type { OwnerState, PageOwner } from "./page-owner.js";

const OWNER = 1 << PAGE_EXT_OWNER;
const ALLOCATED = 1 << PAGE_EXT_OWNER_ALLOCATED;

function textState(po: PageOwner): OwnerState {
  const s = po.state();
  if (!s.traits.text) throw new MmError("BAD_CONFIG", `text formats are modelled for 6.1 and later, not ${s.traits.era}`);
  return s;
}

/** stack_trace_snprint(entries, n, 0): one ` %pS\n` line per frame. */
function framesText(s: OwnerState, frames: Uint32Array, n: number): string {
  let out = "";
  for (let i = 0; i < n; i++) out += ` ${s.symbols.symbolize(frames[i])}\n`;
  return out;
}

/** print_page_owner(): one record of the debugfs file. */
function printPageOwner(s: OwnerState, pfn: Pfn, frames: Uint32Array): string {
  const t = s.traits;
  const a = s.a;
  const r = s.alloc[pfn];
  const gfp = a.gfp[r];
  const mem = s.memory;
  let out =
    `Page allocated via order ${s.order[pfn]}, mask ${formatGfpMask(gfp, t.gfpNames)}, ` +
    `pid ${a.pid[r]}, tgid ${a.tgid[r]} (${s.commText(a.comm[r])}), ts ${a.ts[r]} ns` +
    (t.debugfsFreeTs ? `, free_ts ${s.f.freeTs[s.free[pfn]]} ns\n` : "\n");
  out +=
    `PFN ${t.pfnHex ? `0x${pfn.toString(16)}` : pfn} type ${MIGRATETYPE_NAMES[gfpMigratetype(gfp)]} ` +
    `Block ${Math.floor(pfn / PAGEBLOCK_NR_PAGES)} type ${MIGRATETYPE_NAMES[mem.pageblockMigratetype(pfn)]} ` +
    `Flags ${formatPageFlags(mem.pageFlags(pfn), mem.pageNode(pfn), mem.pageZone(pfn))}\n`;
  const n = s.allocStack(pfn, frames);
  out += framesText(s, frames, n);
  const reason = a.reason[r];
  if (reason !== -1) out += `Page has been migrated, last migrate reason: ${MIGRATE_REASON_NAMES[reason]}\n`;
  const memcg = mem.memcg?.(pfn) ?? null;
  if (memcg !== null) {
    if (memcg.objcgs) out += "Slab cache page\n";
    if (memcg.name !== null)
      out += `Charged ${memcg.kmem ? "(via objcg) " : ""}to ${memcg.online ? "" : "offline "}memcg ${memcg.name}\n`;
  }
  return out + "\n";
}

/** One read() of the debugfs file: the record and the file position after it, or null at EOF. */
export interface PageOwnerRead {
  readonly text: string;
  /** *ppos after the read (pfn + 1). */
  readonly pos: number;
  readonly pfn: Pfn;
}

/**
 * read_page_owner(): one record per read() call, from file position `pos` (0 = min_low_pfn, else a
 * pfn, as after lseek(fd, pfn, SEEK_SET)). Skips invalid MAX_ORDER blocks, free buddy blocks, pages
 * without page_ext, pages not owned or not allocated, tail pages not aligned to their order, and
 * handle 0. @throws MmError NOMEM (the kernel's -ENOMEM) when the record does not fit `count`
 * bytes (a PAGE_SIZE kernel buffer at most); BAD_STATE when page_owner is off (-EINVAL).
 */
export function readPageOwner(po: PageOwner, pos: number, count: number = PAGE_SIZE): PageOwnerRead | null {
  const s = textState(po);
  const mem = s.memory;
  let pfn = pos === 0 ? mem.startPfn : pos;
  while (!mem.pfnValid(pfn) && (pfn & (MAX_ORDER_NR_PAGES - 1)) !== 0) pfn++;
  const frames = new Uint32Array(PAGE_OWNER_STACK_DEPTH);
  const kbufSize = Math.min(count, PAGE_SIZE);
  for (; pfn < mem.endPfn; pfn++) {
    if ((pfn & (MAX_ORDER_NR_PAGES - 1)) === 0 && !mem.pfnValid(pfn)) {
      pfn += MAX_ORDER_NR_PAGES - 1;
      continue;
    }
    const bo = mem.buddyOrder(pfn);
    if (bo >= 0) {
      if (bo <= MAX_PAGE_ORDER) pfn += (1 << bo) - 1;
      continue;
    }
    if (!s.pageExt.hasPageExt(pfn)) continue;
    const f = s.flags[pfn];
    if ((f & OWNER) === 0 || (f & ALLOCATED) === 0) continue;
    if (pfn % (1 << s.order[pfn]) !== 0) continue; // tail pages of high-order allocations
    // Inline storage has no handle; a page with no frames is what "handle 0" means there.
    const hasStack = s.a.handle[s.alloc[pfn]] !== 0 || s.allocStack(pfn, frames) !== 0;
    if (!hasStack) continue;
    const text = printPageOwner(s, pfn, frames);
    // scnprintf into a kbuf of min(count, PAGE_SIZE): a record that does not fit is -ENOMEM.
    if (Buffer.byteLength(text, "utf8") >= kbufSize)
      throw new MmError("NOMEM", `page_owner record of pfn ${pfn} does not fit a ${kbufSize}-byte read`, { pfn });
    return { text, pos: pfn + 1, pfn };
  }
  return null;
}

/** `cat /sys/kernel/debug/page_owner`: every record, read with `count`-byte reads. */
export function readPageOwnerFile(po: PageOwner, count: number = PAGE_SIZE): string {
  let out = "";
  let pos = 0;
  for (;;) {
    const r = readPageOwner(po, pos, count);
    if (r === null) return out;
    out += r.text;
    pos = r.pos;
  }
}

/**
 * __dump_page_owner(page) as the `pr_alert` lines it prints (without the log level), in order.
 * @throws MmError BAD_STATE when page_owner is off.
 */
export function dumpPageOwner(po: PageOwner, pfn: Pfn): string[] {
  const s = textState(po);
  if (!Number.isInteger(pfn) || !s.pageExt.hasPageExt(pfn)) return ["There is not page extension available."];
  const f = s.flags[pfn];
  if ((f & OWNER) === 0) return ["page_owner info is not present (never set?)"];
  const t = s.traits;
  const a = s.a;
  const ar = s.alloc[pfn];
  const fr = s.free[pfn];
  const gfp = a.gfp[ar];
  const lines: string[] = [];
  lines.push((f & ALLOCATED) !== 0 ? "page_owner tracks the page as allocated" : "page_owner tracks the page as freed");
  lines.push(
    `page last allocated via order ${s.order[pfn]}, migratetype ${MIGRATETYPE_NAMES[gfpMigratetype(gfp)]}, ` +
      `gfp_mask ${formatGfpMask(gfp, t.gfpNames)}, pid ${a.pid[ar]}, tgid ${a.tgid[ar]} (${s.commText(a.comm[ar])}), ` +
      `ts ${a.ts[ar]}, free_ts ${s.f.freeTs[fr]}`,
  );
  const frames = new Uint32Array(PAGE_OWNER_STACK_DEPTH);
  const n = s.allocStack(pfn, frames);
  if (n === 0 && a.handle[ar] === 0) lines.push("page_owner allocation stack trace missing");
  else for (let i = 0; i < n; i++) lines.push(` ${s.symbols.symbolize(frames[i])}`);
  const fh = s.f.freeHandle[fr];
  if (fh === 0) {
    lines.push("page_owner free stack trace missing");
  } else {
    lines.push(
      t.dumpFreePid ? `page last free pid ${s.f.freePid[fr]} tgid ${s.f.freeTgid[fr]} stack trace:` : "page last free stack trace:",
    );
    const fn = s.fetch(fh, frames);
    for (let i = 0; i < fn; i++) lines.push(` ${s.symbols.symbolize(frames[i])}`);
  }
  const r = a.reason[ar];
  if (r !== -1) lines.push(`page has been migrated, last migrate reason: ${MIGRATE_REASON_NAMES[r]}`);
  return lines;
}

function stacksState(po: PageOwner, what: string): OwnerState & { counts: NonNullable<OwnerState["counts"]> } {
  const s = textState(po);
  if (s.counts === null) throw new MmError("BAD_CONFIG", `${what} exists from 6.9 on, not in ${s.traits.era}`);
  return s as OwnerState & { counts: NonNullable<OwnerState["counts"]> };
}

/**
 * page_owner_stacks/show_stacks (6.9+): for each stack in list order with nr_base_pages >= 1 and
 * >= count_threshold: its frames, `nr_base_pages: %d`, a blank line.
 */
export function showStacks(po: PageOwner): string {
  const s = stacksState(po, "page_owner_stacks/show_stacks");
  const frames = new Uint32Array(64);
  const threshold = po.countThreshold;
  let out = "";
  s.counts.forEach((h, c) => {
    if (c < 1 || c < threshold) return;
    out += framesText(s, frames, s.fetch(h, frames));
    out += `nr_base_pages: ${c}\n\n`;
  });
  return out;
}

/** page_owner_stacks/show_handles (6.19): `handle: %d`, `nr_base_pages: %d`, blank; filtered like show_stacks. */
export function showHandles(po: PageOwner): string {
  const s = stacksState(po, "page_owner_stacks/show_handles");
  if (!s.traits.showHandles) throw new MmError("BAD_CONFIG", `show_handles exists from 6.19 on, not in ${s.traits.era}`);
  const threshold = po.countThreshold;
  let out = "";
  s.counts.forEach((h, c) => {
    if (c < 1 || c < threshold) return;
    out += `handle: ${h | 0}\nnr_base_pages: ${c}\n\n`;
  });
  return out;
}

/** page_owner_stacks/show_stacks_handles (6.19): every stack's frames and `handle: %d`, unfiltered. */
export function showStacksHandles(po: PageOwner): string {
  const s = stacksState(po, "page_owner_stacks/show_stacks_handles");
  if (!s.traits.showHandles) throw new MmError("BAD_CONFIG", `show_stacks_handles exists from 6.19 on, not in ${s.traits.era}`);
  const frames = new Uint32Array(64);
  let out = "";
  s.counts.forEach((h) => {
    out += framesText(s, frames, s.fetch(h, frames));
    out += `handle: ${h | 0}\n\n`;
  });
  return out;
}

/** Reading page_owner_stacks/count_threshold (a simple attribute, `%llu`). */
export function readCountThreshold(po: PageOwner): string {
  stacksState(po, "page_owner_stacks/count_threshold");
  return `${po.countThreshold}`;
}

/**
 * Writing page_owner_stacks/count_threshold: kstrtoull(text, 0) (decimal, 0x hex, 0 octal, one
 * trailing newline allowed). @throws MmError EINVAL on anything else, leaving the threshold as it was.
 */
export function writeCountThreshold(po: PageOwner, text: string): void {
  stacksState(po, "page_owner_stacks/count_threshold");
  const body = text.endsWith("\n") ? text.slice(0, -1) : text;
  let v: bigint;
  if (/^0[xX][0-9a-fA-F]+$/.test(body)) v = BigInt(body);
  else if (/^0[0-7]*$/.test(body)) v = body.length > 1 ? BigInt(`0o${body.slice(1)}`) : 0n;
  else if (/^[1-9][0-9]*$/.test(body)) v = BigInt(body);
  else throw new MmError("EINVAL", `count_threshold: invalid number ${JSON.stringify(text)}`);
  if (v > 0xffffffffffffffffn) throw new MmError("EINVAL", `count_threshold: ${body} overflows u64`);
  po.countThreshold = Number(v);
}

/**
 * pagetypeinfo_showmixedcount_print(): per migratetype, the pageblocks of `zone` holding at least
 * one allocated page whose gfp migratetype differs from the block's (CMA blocks count as Movable).
 * Indexed by migratetype value (length MIGRATE_TYPES).
 */
export function mixedBlockCounts(po: PageOwner, zone: OwnerZone): number[] {
  const s = po.state();
  const mem = s.memory;
  const count = new Array<number>(MIGRATE_TYPES).fill(0);
  const end = zone.endPfn;
  let pfn = zone.startPfn;
  while (pfn < end) {
    if (!mem.pfnValid(pfn)) {
      pfn = Math.ceil((pfn + 1) / MAX_ORDER_NR_PAGES) * MAX_ORDER_NR_PAGES;
      continue;
    }
    const blockEnd = Math.min(((pfn >>> PAGEBLOCK_ORDER) + 1) << PAGEBLOCK_ORDER, end);
    const blockMt = mem.pageblockMigratetype(pfn);
    for (; pfn < blockEnd; pfn++) {
      if (mem.pageZone(pfn) !== zone.zone || mem.pageNode(pfn) !== zone.node) continue;
      const bo = mem.buddyOrder(pfn);
      if (bo >= 0) {
        if (bo <= MAX_PAGE_ORDER) pfn += (1 << bo) - 1;
        continue;
      }
      if (mem.pageReserved(pfn)) continue;
      if (!s.pageExt.hasPageExt(pfn)) continue;
      if ((s.flags[pfn] & ALLOCATED) === 0) continue;
      if (blockMt !== gfpMigratetype(s.a.gfp[s.alloc[pfn]])) {
        count[blockMt === MIGRATE_CMA ? MIGRATE_MOVABLE : blockMt]++;
        pfn = blockEnd;
        break;
      }
      pfn += (1 << s.order[pfn]) - 1;
    }
  }
  return count;
}

/**
 * The "Number of mixed blocks" section of /proc/pagetypeinfo for one node (pagetypeinfo_showmixedcount):
 * a leading newline, the header, then one row per populated zone of the node. `migratetypes` are the
 * types the kernel prints (printedMigratetypes(config) from @mm/api). Empty when page_owner is off.
 */
export function pagetypeinfoMixedSection(po: PageOwner, node: number, migratetypes: readonly Migratetype[]): string {
  if (!po.inited) return "";
  let out = `\n${"Number of mixed blocks ".padEnd(23)}`;
  for (const mt of migratetypes) out += `${MIGRATETYPE_NAMES[mt].padStart(12)} `;
  out += "\n";
  for (const z of po.state().memory.zones) {
    if (z.node !== node) continue;
    const counts = mixedBlockCounts(po, z);
    out += `Node ${z.node}, zone ${z.name.padStart(8)} `;
    for (const mt of migratetypes) out += `${String(counts[mt]).padStart(12)} `;
    out += "\n";
  }
  return out;
}
