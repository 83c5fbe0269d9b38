// Two snapshots of who holds pages (page_owner dumps, show_stacks or show_handles reads) compared
// per stack or per handle: the pages each key gained or lost. Memory is one slot per distinct key,
// whatever the number of records: the counts are typed arrays indexed by the key's slot.

/** A diff key: a stack's frame lines as printed (" f1\n f2"), or a depot handle. */
export type DiffKey = string | number;

/** One key whose page count changed. */
export interface SnapshotChange {
  readonly key: DiffKey;
  readonly before: number;
  readonly after: number;
  /** after - before, in base pages. */
  readonly delta: number;
}

/** The totals of a diff. */
export interface SnapshotTotals {
  readonly pagesBefore: number;
  readonly pagesAfter: number;
  /** Keys with more pages after (new keys included), and the pages they gained. */
  readonly grew: number;
  readonly gained: number;
  /** Keys with fewer pages after (gone keys included), and the pages they lost. */
  readonly shrank: number;
  readonly lost: number;
  /** Keys present in the after snapshot only / the before snapshot only. */
  readonly added: number;
  readonly removed: number;
  readonly unchanged: number;
  readonly keys: number;
}

/** A string sharing no memory with `s` (a slice would keep a whole read chunk alive). */
function ownCopy(s: string): string {
  return s.length === 0 ? s : (" " + s).slice(1);
}

/** Per-key page counts of a before and an after snapshot. */
export class SnapshotDiff {
  private readonly slot = new Map<DiffKey, number>();
  private readonly keys: DiffKey[] = [];
  private counts: [Float64Array, Float64Array] = [new Float64Array(256), new Float64Array(256)];
  /** Whether a key was seen on a side (a key can be seen with 0 pages). */
  private seen: [Uint8Array, Uint8Array] = [new Uint8Array(256), new Uint8Array(256)];
  /** Base pages added per side. */
  readonly pages = [0, 0];
  /** One-entry cache: consecutive records mostly share a stack. */
  private lastKey: DiffKey | null = null;
  private lastSlot = -1;

  /** Counts `pages` base pages for `key` on side 0 (before) or 1 (after). */
  add(side: 0 | 1, key: DiffKey, pages: number): void {
    let i = key === this.lastKey ? this.lastSlot : this.slot.get(key);
    if (i === undefined) i = this.newSlot(key);
    this.lastKey = key;
    this.lastSlot = i;
    this.counts[side][i] += pages;
    this.seen[side][i] = 1;
    this.pages[side] += pages;
  }

  /** Distinct keys over both snapshots. */
  get size(): number {
    return this.keys.length;
  }

  /** Pages of a key on a side (0 when not seen). */
  count(side: 0 | 1, key: DiffKey): number {
    const i = this.slot.get(key);
    return i === undefined ? 0 : this.counts[side][i];
  }

  /** The changed keys, most gained first and most lost last; ties in first-seen order. */
  changes(): SnapshotChange[] {
    const [b, a] = this.counts;
    const n = this.keys.length;
    let m = 0;
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) m++;
    const order = new Float64Array(m);
    // One numeric sort of (−delta, slot) packed into a double: exact while |delta| < 2^31 and
    // slots < 2^21; past that, a comparator sort.
    let packed = n < 2 ** 21;
    for (let i = 0, k = 0; i < n; i++) {
      if (a[i] === b[i]) continue;
      const d = a[i] - b[i];
      if (!Number.isInteger(d) || Math.abs(d) >= 2 ** 31) packed = false;
      order[k++] = packed ? -d * 2 ** 21 + i : i;
    }
    if (packed) {
      order.sort();
      for (let k = 0; k < m; k++) order[k] = ((order[k] % 2 ** 21) + 2 ** 21) % 2 ** 21;
    } else {
      for (let i = 0, k = 0; i < n; i++) if (a[i] !== b[i]) order[k++] = i;
      order.sort((x, y) => a[y] - b[y] - (a[x] - b[x]) || x - y);
    }
    const out = new Array<SnapshotChange>(m);
    for (let k = 0; k < m; k++) {
      const i = order[k];
      out[k] = { key: this.keys[i], before: b[i], after: a[i], delta: a[i] - b[i] };
    }
    return out;
  }

  totals(): SnapshotTotals {
    const [b, a] = this.counts;
    const [sb, sa] = this.seen;
    let grew = 0;
    let gained = 0;
    let shrank = 0;
    let lost = 0;
    let added = 0;
    let removed = 0;
    for (let i = 0; i < this.keys.length; i++) {
      const d = a[i] - b[i];
      if (d > 0) {
        grew++;
        gained += d;
      } else if (d < 0) {
        shrank++;
        lost -= d;
      }
      if (sa[i] === 1 && sb[i] === 0) added++;
      if (sb[i] === 1 && sa[i] === 0) removed++;
    }
    const keys = this.keys.length;
    return { pagesBefore: this.pages[0], pagesAfter: this.pages[1], grew, gained, shrank, lost, added, removed, unchanged: keys - grew - shrank, keys };
  }

  private newSlot(key: DiffKey): number {
    const i = this.keys.length;
    if (i === this.counts[0].length) {
      const grow = <T extends Float64Array | Uint8Array>(x: T, make: (n: number) => T): T => {
        const y = make(i * 2);
        y.set(x);
        return y;
      };
      this.counts = [grow(this.counts[0], (n) => new Float64Array(n)), grow(this.counts[1], (n) => new Float64Array(n))];
      this.seen = [grow(this.seen[0], (n) => new Uint8Array(n)), grow(this.seen[1], (n) => new Uint8Array(n))];
    }
    const own = typeof key === "string" ? ownCopy(key) : key;
    this.keys.push(own);
    this.slot.set(own, i);
    return i;
  }
}

/**
 * Text of a diff: per changed key `+N pages (B -> A)` (or `-N`), its frames or `handle: %d`
 * (`frames` resolves a handle key to frames where known), a blank line; then one total line.
 */
export function formatSnapshotDiff(d: SnapshotDiff, frames?: (handle: number) => string | undefined): string {
  let s = "";
  for (const c of d.changes()) {
    s += `${c.delta > 0 ? "+" : ""}${c.delta} pages (${c.before} -> ${c.after})\n`;
    if (typeof c.key === "string") s += c.key.length === 0 ? "" : `${c.key}\n`;
    else {
      const f = frames?.(c.key);
      if (f !== undefined) s += `${f}\n`;
      s += `handle: ${c.key}\n`;
    }
    s += "\n";
  }
  const t = d.totals();
  const net = t.pagesAfter - t.pagesBefore;
  s +=
    `total: ${net >= 0 ? "+" : ""}${net} pages (${t.pagesBefore} -> ${t.pagesAfter}); ` +
    `${t.grew} grew by ${t.gained} pages (${t.added} new), ${t.shrank} shrank by ${t.lost} pages (${t.removed} gone), ` +
    `${t.unchanged} unchanged\n`;
  return s;
}
