/**
 * LLFree's binary allocation trace (luhsra/llfree-rs, eval/src/bin/replay.rs): 4 KiB pages. Page 0
 * is the header `{ u32 pages; u32 cores; u32 max_pfn }`; every other page is `{ u32 cpuid; u128
 * entries[255] }` with the entries at offset 16 (u128 is 16-byte aligned). An entry, LSB first:
 * time_us 38 · pfn 24 · alloc 1 · order 4 · gfp 29 · pid 32; pfn 0 ends a page's entries.
 * Each CPU's pages hold its events in time order; LLFree sorts all events by time, and so do we,
 * by merging the per-CPU streams (stable on equal times: lower page index first), reading pages
 * on demand so a large trace needs memory for one page per CPU, not the whole file.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { MmError } from "@mm/api";
import { EV_ALLOC, EV_FREE, newTraceEvent, newTraceStats, type TraceEvent, type TraceStats } from "./event.js";
import type { TraceSink } from "./text-parser.js";

export const LLFREE_PAGE = 4096;
export const LLFREE_ENTRIES_PER_PAGE = (LLFREE_PAGE - 16) / 16; // 255
const ENTRY_OFFSET = 16;

export interface LlfreeHeader {
  readonly pages: number;
  readonly cores: number;
  readonly maxPfn: number;
}

/** One decoded entry (the fields LLFree stores). */
export interface LlfreeEntry {
  timeUs: number;
  pfn: number;
  alloc: boolean;
  order: number;
  gfp: number;
  pid: number;
}

/** Decode the entry at `off` of a page buffer into `out`; false when pfn is 0 (end of page). */
export function decodeLlfreeEntry(view: DataView, off: number, out: LlfreeEntry): boolean {
  const w0 = view.getUint32(off, true);
  const w1 = view.getUint32(off + 4, true);
  const w2 = view.getUint32(off + 8, true);
  const w3 = view.getUint32(off + 12, true);
  // bits 0..37 time, 38..61 pfn, 62 alloc, 63..66 order, 67..95 gfp, 96..127 pid
  out.timeUs = w0 + (w1 & 0x3f) * 2 ** 32;
  out.pfn = (w1 >>> 6) & 0xffffff;
  out.alloc = ((w1 >>> 30) & 1) === 1;
  out.order = (w1 >>> 31) | ((w2 & 0x7) << 1);
  out.gfp = (w2 >>> 3) >>> 0;
  out.pid = w3;
  return out.pfn !== 0;
}

/** Encode an entry (for tests and for writing traces LLFree's replay can read). */
export function encodeLlfreeEntry(view: DataView, off: number, e: LlfreeEntry): void {
  const t = e.timeUs;
  const w0 = t % 2 ** 32;
  const tHi = Math.floor(t / 2 ** 32) & 0x3f;
  const w1 = (tHi | ((e.pfn & 0xffffff) << 6) | ((e.alloc ? 1 : 0) << 30) | ((e.order & 1) << 31)) >>> 0;
  const w2 = (((e.order >>> 1) & 0x7) | ((e.gfp & 0x1fffffff) << 3)) >>> 0;
  view.setUint32(off, w0, true);
  view.setUint32(off + 4, w1, true);
  view.setUint32(off + 8, w2, true);
  view.setUint32(off + 12, e.pid >>> 0, true);
}

/** Build an LLFree trace file image from per-CPU entry lists (each in time order). */
export function writeLlfreeTrace(perCpu: readonly (readonly LlfreeEntry[])[], maxPfn: number): Uint8Array {
  const pages: { cpu: number; entries: readonly LlfreeEntry[] }[] = [];
  perCpu.forEach((list, cpu) => {
    for (let i = 0; i < list.length; i += LLFREE_ENTRIES_PER_PAGE) pages.push({ cpu, entries: list.slice(i, i + LLFREE_ENTRIES_PER_PAGE) });
  });
  const buf = new Uint8Array((pages.length + 1) * LLFREE_PAGE);
  const view = new DataView(buf.buffer);
  view.setUint32(0, pages.length, true);
  view.setUint32(4, perCpu.length, true);
  view.setUint32(8, maxPfn, true);
  pages.forEach((p, i) => {
    const base = (i + 1) * LLFREE_PAGE;
    view.setUint32(base, p.cpu, true);
    p.entries.forEach((e, j) => encodeLlfreeEntry(view, base + ENTRY_OFFSET + j * 16, e));
  });
  return buf;
}

/** Read a binary LLFree trace file and send its events, time-ordered, to sink. */
export function readLlfreeTrace(path: string, sink: TraceSink, onProgress?: (bytes: number) => void): { header: LlfreeHeader; stats: TraceStats } {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    if (size < LLFREE_PAGE || size % LLFREE_PAGE !== 0)
      throw new MmError("PARSE_ERROR", `${path}: an LLFree trace is a whole number of 4 KiB pages (got ${size} bytes)`);
    const page = new Uint8Array(LLFREE_PAGE);
    const view = new DataView(page.buffer);
    readSync(fd, page, 0, LLFREE_PAGE, 0);
    const header: LlfreeHeader = { pages: view.getUint32(0, true), cores: view.getUint32(4, true), maxPfn: view.getUint32(8, true) };
    const nrPages = size / LLFREE_PAGE - 1;
    if (header.pages !== nrPages && header.pages !== 0)
      throw new MmError("PARSE_ERROR", `${path}: header says ${header.pages} trace pages, the file has ${nrPages}`);
    // Index: each CPU's pages in file order (4 bytes read per page).
    const byCpu = new Map<number, number[]>();
    const cpuBuf = new Uint8Array(4);
    const cpuView = new DataView(cpuBuf.buffer);
    for (let i = 0; i < nrPages; i++) {
      readSync(fd, cpuBuf, 0, 4, (i + 1) * LLFREE_PAGE);
      const c = cpuView.getUint32(0, true);
      let l = byCpu.get(c);
      if (l === undefined) byCpu.set(c, (l = []));
      l.push(i);
    }
    const stats = newTraceStats("llfree");
    stats.cpus = header.cores;
    stats.bytes = size;
    interface Cursor { cpu: number; pages: number[]; pageIdx: number; buf: Uint8Array; view: DataView; entry: number; cur: LlfreeEntry; done: boolean }
    const cursors: Cursor[] = [];
    const load = (c: Cursor): void => {
      for (;;) {
        if (c.entry >= LLFREE_ENTRIES_PER_PAGE || c.entry < 0) {
          c.pageIdx++;
          if (c.pageIdx >= c.pages.length) {
            c.done = true;
            return;
          }
          readSync(fd, c.buf, 0, LLFREE_PAGE, (c.pages[c.pageIdx] + 1) * LLFREE_PAGE);
          onProgress?.(LLFREE_PAGE);
          c.entry = 0;
        }
        if (decodeLlfreeEntry(c.view, ENTRY_OFFSET + c.entry * 16, c.cur)) return;
        c.entry = LLFREE_ENTRIES_PER_PAGE; // pfn 0: the rest of this page is empty
      }
    };
    for (const [cpu, pages] of [...byCpu].sort((a, b) => a[0] - b[0])) {
      const buf = new Uint8Array(LLFREE_PAGE);
      const c: Cursor = { cpu, pages, pageIdx: -1, buf, view: new DataView(buf.buffer), entry: -1, cur: { timeUs: 0, pfn: 0, alloc: false, order: 0, gfp: 0, pid: 0 }, done: false };
      load(c);
      if (!c.done) cursors.push(c);
    }
    const ev: TraceEvent = newTraceEvent();
    let index = 0;
    for (;;) {
      let best: Cursor | null = null;
      for (const c of cursors) {
        if (c.done) continue;
        // Stable by time, then by the file position of the page (LLFree's sort_by is stable).
        if (best === null || c.cur.timeUs < best.cur.timeUs || (c.cur.timeUs === best.cur.timeUs && c.pages[c.pageIdx] < best.pages[best.pageIdx])) best = c;
      }
      if (best === null) break;
      const e = best.cur;
      ev.kind = e.alloc ? EV_ALLOC : EV_FREE;
      ev.line = ++index;
      ev.cpu = best.cpu;
      ev.pid = e.pid;
      ev.comm = "";
      ev.tsNs = e.timeUs * 1000;
      ev.pfn = e.pfn;
      ev.order = e.order;
      ev.gfp = e.gfp;
      ev.migratetype = -1;
      stats.events[ev.kind] = (stats.events[ev.kind] ?? 0) + 1;
      sink(ev);
      best.entry++;
      load(best);
    }
    return { header, stats };
  } finally {
    closeSync(fd);
  }
}
