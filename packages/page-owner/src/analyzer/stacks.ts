// Per-stack views of a dump, beyond what page_owner_sort offers: the `show_stacks` summary of
// page_owner_stacks/ (6.9+, kernel-spec §4.8) computed offline, top-N by pages with a total, and
// the difference of two dumps by stack.

import type { PageOwnerRecord, StackDelta, StackSummary } from "./api.js";
import { splitFrames } from "./record-parser.js";

/** A string that shares no memory with `s` (a slice would keep a whole read chunk alive). */
function ownCopy(s: string): string {
  return s.length === 0 ? s : (" " + s).slice(1);
}

/**
 * The internal key of a stack: its frame lines as printed (" f1\n f2"), as the parser hands them
 * over. The public key (frames joined by "\n") cannot tell [] from [""] apart, so neither can
 * this one: " " (one empty frame) is filed under "".
 */
function internalKey(framesText: string): string {
  return framesText === " " ? "" : framesText;
}

/** The public key (frames joined by "\n") -> the internal one. */
function keyToInternal(key: string): string {
  return key.length === 0 ? "" : ` ${key.replaceAll("\n", "\n ")}`;
}

/** Accumulates records by stack; memory grows with the number of distinct stacks. */
export class StackAccumulator {
  private readonly byKey = new Map<string, StackSummary>();
  /** The last key added and its summary (a one-entry cache in front of byKey). */
  private lastKey: string | null = null;
  private lastSummary: StackSummary | undefined = undefined;
  /** Base pages over all records added. */
  totalPages = 0;
  /** Records added. */
  totalRecords = 0;

  /** Counts one record: 2^order base pages for its stack. */
  add(r: PageOwnerRecord): void {
    this.addFramesText(r.frames.length === 0 ? "" : ` ${r.frames.join("\n ")}`, r.order, r.frames);
  }

  /**
   * Counts one record given its frame lines as printed (" f1\n f2", what PageOwnerParser passes
   * along): no string per frame, and the frames array is made once per distinct stack.
   */
  addFramesText(framesText: string, order: number, frames?: readonly string[]): void {
    const key = internalKey(framesText);
    const pages = 2 ** order;
    // Runs of records with one stack are common: a compare with the last key is a memcmp, a
    // Map lookup hashes the whole text first.
    let s = key === this.lastKey ? this.lastSummary : this.byKey.get(key);
    if (s === undefined) {
      const own = ownCopy(framesText);
      s = { frames: frames ?? splitFrames(own), nrBasePages: 0, records: 0 };
      this.byKey.set(ownCopy(key), s);
    }
    this.lastKey = key;
    this.lastSummary = s;
    s.nrBasePages += pages;
    s.records++;
    this.totalPages += pages;
    this.totalRecords++;
  }

  /** Distinct stacks seen. */
  get size(): number {
    return this.byKey.size;
  }

  /**
   * The stacks, most pages first (ties: first seen first).
   * @param threshold - keep stacks with at least this many base pages (`count_threshold`)
   */
  summaries(threshold = 0): StackSummary[] {
    const out: StackSummary[] = [];
    for (const s of this.byKey.values()) if (s.nrBasePages >= threshold) out.push(s);
    // Array.prototype.sort is stable: equal counts keep first-seen order.
    return out.sort((a, b) => b.nrBasePages - a.nrBasePages);
  }

  /** Lookup by frames. */
  get(frames: readonly string[]): StackSummary | undefined {
    return this.getByKey(frames.join("\n"));
  }

  /** (key, summary) pairs in first-seen order; the key is the frames joined by "\n". */
  *entries(): IterableIterator<[string, StackSummary]> {
    for (const s of this.byKey.values()) yield [s.frames.join("\n"), s];
  }

  /** Lookup by the key {@link entries} yields. */
  getByKey(key: string): StackSummary | undefined {
    return this.byKey.get(keyToInternal(key));
  }
}

/**
 * Groups records by stack.
 * @returns the summaries, most pages first
 */
export function summarizeStacks(records: Iterable<PageOwnerRecord>, threshold = 0): StackSummary[] {
  const acc = new StackAccumulator();
  for (const r of records) acc.add(r);
  return acc.summaries(threshold);
}

/**
 * `show_stacks` text: each stack's frames (one leading space each), `nr_base_pages: %d`, and a
 * blank line (always emitted since 6.19), most pages first.
 */
export function formatShowStacks(summaries: readonly StackSummary[]): string {
  let s = "";
  for (const x of summaries) {
    for (const f of x.frames) s += ` ${f}\n`;
    s += `nr_base_pages: ${x.nrBasePages}\n\n`;
  }
  return s;
}

/** Top-N stacks by base pages and the dump's totals. */
export interface TopStacks {
  readonly top: readonly StackSummary[];
  readonly totalPages: number;
  readonly totalRecords: number;
  readonly distinctStacks: number;
}

/**
 * The N stacks holding the most base pages (those under `threshold` pages left out of the list,
 * not of the totals).
 */
export function topStacks(acc: StackAccumulator, n: number, threshold = 0): TopStacks {
  return {
    top: acc.summaries(threshold).slice(0, Math.max(0, n)),
    totalPages: acc.totalPages,
    totalRecords: acc.totalRecords,
    distinctStacks: acc.size,
  };
}

/** KiB with the kernel's 4 KiB pages, as a short human string. */
function pagesToSize(pages: number): string {
  const kib = pages * 4;
  if (kib >= 1024 * 1024) return `${(kib / 1024 / 1024).toFixed(1)} GiB`;
  if (kib >= 1024) return `${(kib / 1024).toFixed(1)} MiB`;
  return `${kib} KiB`;
}

function pct(part: number, whole: number): string {
  return whole === 0 ? "0.0%" : `${((100 * part) / whole).toFixed(1)}%`;
}

/**
 * Text for {@link topStacks}: one paragraph per stack, then a total line, e.g.
 * `#1 7442 pages (29.1 MiB, 44.3%) in 7442 records` + frames; `total: ...`.
 */
export function formatTopStacks(t: TopStacks): string {
  let s = "";
  let shown = 0;
  t.top.forEach((x, i) => {
    shown += x.nrBasePages;
    s += `#${i + 1} ${x.nrBasePages} pages (${pagesToSize(x.nrBasePages)}, ${pct(x.nrBasePages, t.totalPages)}) in ${x.records} records\n`;
    for (const f of x.frames) s += ` ${f}\n`;
    s += "\n";
  });
  s += `total: ${t.totalPages} pages (${pagesToSize(t.totalPages)}) in ${t.totalRecords} records, ${t.distinctStacks} stacks; top ${t.top.length} hold ${shown} pages (${pct(shown, t.totalPages)})\n`;
  return s;
}

/** The result of {@link diffStacks}. */
export interface StackDiff {
  /** Stacks whose page count changed: largest growth first, then largest shrink last. */
  readonly changes: readonly StackDelta[];
  readonly totalBefore: number;
  readonly totalAfter: number;
}

/**
 * Compares two dumps by stack: which stacks grew or shrank, by how many base pages. Stacks present
 * in only one dump count as 0 in the other.
 */
export function diffStacks(before: StackAccumulator, after: StackAccumulator): StackDiff {
  const changes: StackDelta[] = [];
  for (const [key, a] of after.entries()) {
    const b = before.getByKey(key);
    const bp = b?.nrBasePages ?? 0;
    if (a.nrBasePages !== bp) {
      changes.push({
        frames: a.frames,
        before: bp,
        after: a.nrBasePages,
        delta: a.nrBasePages - bp,
        recordsBefore: b?.records ?? 0,
        recordsAfter: a.records,
      });
    }
  }
  for (const [key, b] of before.entries()) {
    if (after.getByKey(key) === undefined) {
      changes.push({
        frames: b.frames,
        before: b.nrBasePages,
        after: 0,
        delta: -b.nrBasePages,
        recordsBefore: b.records,
        recordsAfter: 0,
      });
    }
  }
  changes.sort((x, y) => y.delta - x.delta);
  return { changes, totalBefore: before.totalPages, totalAfter: after.totalPages };
}

/** Text for {@link diffStacks}: `+N pages (before -> after)` per stack, then a total line. */
export function formatStackDiff(d: StackDiff): string {
  let s = "";
  let grew = 0;
  let shrank = 0;
  for (const c of d.changes) {
    if (c.delta > 0) grew++;
    else shrank++;
    const sign = c.delta > 0 ? "+" : "";
    s += `${sign}${c.delta} pages (${c.before} -> ${c.after}; records ${c.recordsBefore} -> ${c.recordsAfter})\n`;
    for (const f of c.frames) s += ` ${f}\n`;
    s += "\n";
  }
  const delta = d.totalAfter - d.totalBefore;
  s += `total: ${delta >= 0 ? "+" : ""}${delta} pages (${d.totalBefore} -> ${d.totalAfter}); ${grew} stacks grew, ${shrank} shrank\n`;
  return s;
}
