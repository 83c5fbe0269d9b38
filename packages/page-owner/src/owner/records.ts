/**
 * page_owner's records, shared by the pages they describe. The kernel writes the same `struct
 * page_owner` contents into every base page of a block (__set_page_owner_handle loops over
 * 1 << order pages, __reset_page_owner likewise); the model stores that contents once, in a
 * growable struct-of-arrays table, and gives each page a Uint32 index into it. The allocation side
 * (handle, gfp, last_migrate_reason, pid, tgid, ts, comm) and the free side (free_handle,
 * free_ts_nsec, free_pid, free_tgid) are separate tables because they change at different times:
 * an allocation leaves every page's free side alone, a free leaves the allocation side.
 *
 * Each record counts the pages that point at it; a page moving to another record releases the old
 * one, and a record no page points at goes on a free list for reuse. A write to one page of a
 * shared record (a migrate reason on the head, a split, a 6.10+ free_pid copy) copies the record
 * first (copy-on-write), so the other pages keep theirs. Record 0 is the zeroed page_ext every
 * page starts with; it is never written and never counted.
 */
import { MmError } from "@mm/api";

/** First capacity of a table (grows by doubling). */
const INITIAL = 1024;

function grow<T extends Uint8Array | Int8Array | Uint32Array | Int32Array | Float64Array>(a: T, n: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

/** Which records are free for reuse: a stack of indices (LIFO, so reuse is deterministic). */
class FreeStack {
  items = new Uint32Array(64);
  length = 0;
  push(i: number): void {
    if (this.length === this.items.length) this.items = grow(this.items, this.items.length * 2);
    this.items[this.length++] = i;
  }
  pop(): number {
    return this.length === 0 ? 0 : this.items[--this.length];
  }
}

/**
 * What both tables share: per-record page counts, the high-water mark and the free list. A record
 * is taken with the number of pages that point at it and reused once none does.
 */
abstract class RecordTable {
  /** Pages pointing at each record (record 0: unused). */
  refs = new Uint32Array(INITIAL);
  /** Records handed out so far (the high-water mark, record 0 included). */
  used = 1;
  protected readonly freeList = new FreeStack();

  get capacity(): number {
    return this.refs.length;
  }

  /** A fresh record with refs = nrPages (its fields are the caller's to write). */
  take(nrPages: number): number {
    let r = this.freeList.pop();
    if (r === 0) {
      if (this.used === this.refs.length) this.resize(this.refs.length * 2);
      r = this.used++;
    }
    this.refs[r] = nrPages;
    return r;
  }

  /** A page stopped pointing at r. */
  release(r: number): void {
    if (r !== 0 && --this.refs[r] === 0) this.freeList.push(r);
  }

  /** Records on the free list (for the invariant check). */
  freeRecords(): Uint32Array {
    return this.freeList.items.subarray(0, this.freeList.length);
  }

  /** Grow every array of the table to n records. */
  protected abstract resize(n: number): void;
}

/** The allocation side of page_owner records. */
export class AllocRecords extends RecordTable {
  handle = new Uint32Array(INITIAL);
  gfp = new Uint32Array(INITIAL);
  /** last_migrate_reason, -1 for none. */
  reason = new Int8Array(INITIAL);
  pid = new Int32Array(INITIAL);
  tgid = new Int32Array(INITIAL);
  ts = new Float64Array(INITIAL);
  /** Interned comm id. */
  comm = new Uint32Array(INITIAL);
  /** Inline storage (v3.19-v4.6): nr_entries and trace_entries[8]; empty under depot storage. */
  nrEntries: Uint8Array;
  trace: Uint32Array;
  constructor(readonly inline: boolean) {
    super();
    this.nrEntries = new Uint8Array(inline ? INITIAL : 0);
    this.trace = new Uint32Array(inline ? INITIAL * 8 : 0);
  }

  /** Copy every field of record `from` into `to` (not the page count). */
  copy(from: number, to: number): void {
    this.handle[to] = this.handle[from];
    this.gfp[to] = this.gfp[from];
    this.reason[to] = this.reason[from];
    this.pid[to] = this.pid[from];
    this.tgid[to] = this.tgid[from];
    this.ts[to] = this.ts[from];
    this.comm[to] = this.comm[from];
    if (this.inline) {
      this.nrEntries[to] = this.nrEntries[from];
      this.trace.copyWithin(to * 8, from * 8, from * 8 + 8);
    }
  }

  /** Bytes of the table's arrays (for reports). */
  get byteLength(): number {
    return (
      this.refs.byteLength +
      this.handle.byteLength +
      this.gfp.byteLength +
      this.reason.byteLength +
      this.pid.byteLength +
      this.tgid.byteLength +
      this.ts.byteLength +
      this.comm.byteLength +
      this.nrEntries.byteLength +
      this.trace.byteLength +
      this.freeList.items.byteLength
    );
  }

  protected resize(n: number): void {
    if (n > 0xffffffff) throw new MmError("NOMEM", "page_owner allocation records exhausted");
    this.refs = grow(this.refs, n);
    this.handle = grow(this.handle, n);
    this.gfp = grow(this.gfp, n);
    this.reason = grow(this.reason, n);
    this.pid = grow(this.pid, n);
    this.tgid = grow(this.tgid, n);
    this.ts = grow(this.ts, n);
    this.comm = grow(this.comm, n);
    if (this.inline) {
      this.nrEntries = grow(this.nrEntries, n);
      this.trace = grow(this.trace, n * 8);
    }
  }
}

/** The free side of page_owner records. */
export class FreeRecords extends RecordTable {
  freeHandle = new Uint32Array(INITIAL);
  freeTs = new Float64Array(INITIAL);
  freePid = new Int32Array(INITIAL);
  freeTgid = new Int32Array(INITIAL);

  copy(from: number, to: number): void {
    this.freeHandle[to] = this.freeHandle[from];
    this.freeTs[to] = this.freeTs[from];
    this.freePid[to] = this.freePid[from];
    this.freeTgid[to] = this.freeTgid[from];
  }

  get byteLength(): number {
    return (
      this.refs.byteLength +
      this.freeHandle.byteLength +
      this.freeTs.byteLength +
      this.freePid.byteLength +
      this.freeTgid.byteLength +
      this.freeList.items.byteLength
    );
  }

  protected resize(n: number): void {
    if (n > 0xffffffff) throw new MmError("NOMEM", "page_owner free records exhausted");
    this.refs = grow(this.refs, n);
    this.freeHandle = grow(this.freeHandle, n);
    this.freeTs = grow(this.freeTs, n);
    this.freePid = grow(this.freePid, n);
    this.freeTgid = grow(this.freeTgid, n);
  }
}

/**
 * Point pages [start, end) of `idx` at record r of `t` (taken with refs = end - start), releasing
 * what they pointed at.
 */
export function assignRange(t: AllocRecords | FreeRecords, idx: Uint32Array, start: number, end: number, r: number): void {
  const refs = t.refs;
  let prev = idx[start];
  let run = 0;
  for (let p = start; p < end; p++) {
    const old = idx[p];
    idx[p] = r;
    // Consecutive pages usually share the old record: release it once per run.
    if (old === prev) {
      run++;
      continue;
    }
    releaseRun(t, refs, prev, run);
    prev = old;
    run = 1;
  }
  releaseRun(t, refs, prev, run);
}

function releaseRun(t: AllocRecords | FreeRecords, refs: Uint32Array, r: number, n: number): void {
  if (r === 0 || n === 0) return;
  refs[r] -= n - 1;
  t.release(r);
}

/**
 * Give page p a record of its own in `t`, a copy of the one it points at, and return it (the page's
 * current record if no other page shares it). Copy-on-write for per-page writes.
 */
export function ownRecord(t: AllocRecords | FreeRecords, idx: Uint32Array, p: number): number {
  const r = idx[p];
  if (r !== 0 && t.refs[r] === 1) return r;
  const n = t.take(1);
  t.copy(r, n);
  idx[p] = n;
  t.release(r);
  return n;
}

/**
 * Rewrite some fields of pages [start, end) of `idx` without touching other pages: each run of
 * pages sharing a record is rewritten in place when the run is all of that record's pages, else
 * given a copy first. `write(r)` writes the fields into record r.
 */
export function rewriteRange<T extends AllocRecords | FreeRecords>(t: T, idx: Uint32Array, start: number, end: number, write: (r: number) => void): void {
  let p = start;
  while (p < end) {
    const old = idx[p];
    let q = p + 1;
    while (q < end && idx[q] === old) q++;
    const n = q - p;
    if (old !== 0 && t.refs[old] === n) write(old);
    else {
      const r = t.take(n);
      t.copy(old, r);
      write(r);
      idx.fill(r, p, q);
      if (old !== 0) {
        t.refs[old] -= n - 1;
        t.release(old);
      }
    }
    p = q;
  }
}
