/**
 * A FIFO of event records, struct-of-arrays in a circular buffer. Sinks keep their resident
 * records here: push at the tail, drop from the head (overwrite), read by age. It grows by doubling
 * up to `maxCapacity`, so a large ring that never fills costs no more than what it holds.
 */
import { MmError } from "@mm/api";
import type { EventList, TraceEvent } from "../api.js";

/** `kind` of an ftrace stack entry (not an event kind). */
export const KIND_STACK = 255;

export class EventStore {
  kind: Uint8Array;
  pfn: Float64Array;
  flags: Uint32Array;
  count: Int32Array;
  mapcount: Int32Array;
  mapping: Uint32Array;
  mt: Uint8Array;
  zone: Uint8Array;
  handle: Uint32Array;
  nrFrames: Uint32Array;
  pid: Int32Array;
  ts: Float64Array;
  reason: Int32Array;
  err: Int32Array;
  /** Sink-specific number (page_pinner: elapsed µs of a put, failure µs of the others). */
  aux: Float64Array;
  /** Index of the oldest record. */
  head = 0;
  /** Records held. */
  length = 0;
  /** Slots allocated (a power of two). */
  capacity: number;

  constructor(
    initialCapacity: number,
    /** Never hold more than this many records (the caller drops before pushing). */
    readonly maxCapacity: number,
  ) {
    let cap = 1;
    while (cap < Math.min(initialCapacity, maxCapacity)) cap *= 2;
    this.capacity = cap;
    this.kind = new Uint8Array(cap);
    this.pfn = new Float64Array(cap);
    this.flags = new Uint32Array(cap);
    this.count = new Int32Array(cap);
    this.mapcount = new Int32Array(cap);
    this.mapping = new Uint32Array(cap);
    this.mt = new Uint8Array(cap);
    this.zone = new Uint8Array(cap);
    this.handle = new Uint32Array(cap);
    this.nrFrames = new Uint32Array(cap);
    this.pid = new Int32Array(cap);
    this.ts = new Float64Array(cap);
    this.reason = new Int32Array(cap);
    this.err = new Int32Array(cap);
    this.aux = new Float64Array(cap);
  }

  /** Slot of the i-th oldest record. */
  slot(i: number): number {
    return (this.head + i) & (this.capacity - 1);
  }

  /** Append a record copied from `ev` with `kind`; returns its slot. The caller keeps length <= maxCapacity. */
  push(ev: TraceEvent, kind: number): number {
    if (this.length === this.capacity) this.grow();
    const s = (this.head + this.length) & (this.capacity - 1);
    this.length++;
    this.kind[s] = kind;
    this.pfn[s] = ev.pfn;
    this.flags[s] = ev.flags;
    this.count[s] = ev.count;
    this.mapcount[s] = ev.mapcount;
    this.mapping[s] = ev.mapping;
    this.mt[s] = ev.mt;
    this.zone[s] = ev.zone;
    this.handle[s] = ev.handle;
    this.nrFrames[s] = ev.nrFrames;
    this.pid[s] = ev.pid;
    this.ts[s] = ev.ts;
    this.reason[s] = ev.reason;
    this.err[s] = ev.err;
    this.aux[s] = 0;
    return s;
  }

  /** Forget the `n` oldest records. */
  dropFront(n: number): void {
    if (n > this.length) throw new MmError("INVARIANT", `dropping ${n} of ${this.length} records`);
    this.head = (this.head + n) & (this.capacity - 1);
    this.length -= n;
  }

  clear(): void {
    this.head = 0;
    this.length = 0;
  }

  private grow(): void {
    const cap = this.capacity * 2;
    if (this.length >= this.maxCapacity) throw new MmError("INVARIANT", `event store over its ${this.maxCapacity} records`);
    const h = this.head;
    const n = this.length;
    const old = this.capacity;
    const move = <T extends Uint8Array | Uint32Array | Int32Array | Float64Array>(a: T, make: (c: number) => T): T => {
      const b = make(cap);
      // Unwrap: oldest record goes to slot 0.
      for (let i = 0; i < n; i++) b[i] = a[(h + i) & (old - 1)];
      return b;
    };
    this.kind = move(this.kind, (c) => new Uint8Array(c));
    this.pfn = move(this.pfn, (c) => new Float64Array(c));
    this.flags = move(this.flags, (c) => new Uint32Array(c));
    this.count = move(this.count, (c) => new Int32Array(c));
    this.mapcount = move(this.mapcount, (c) => new Int32Array(c));
    this.mapping = move(this.mapping, (c) => new Uint32Array(c));
    this.mt = move(this.mt, (c) => new Uint8Array(c));
    this.zone = move(this.zone, (c) => new Uint8Array(c));
    this.handle = move(this.handle, (c) => new Uint32Array(c));
    this.nrFrames = move(this.nrFrames, (c) => new Uint32Array(c));
    this.pid = move(this.pid, (c) => new Int32Array(c));
    this.ts = move(this.ts, (c) => new Float64Array(c));
    this.reason = move(this.reason, (c) => new Int32Array(c));
    this.err = move(this.err, (c) => new Int32Array(c));
    this.aux = move(this.aux, (c) => new Float64Array(c));
    this.head = 0;
    this.capacity = cap;
  }
}

/** Copy chosen records (slots, oldest first) into a fresh EventList. */
export function toEventList(store: EventStore, slots: readonly number[], handles?: readonly number[]): EventList {
  const n = slots.length;
  const out = {
    length: n,
    kind: new Uint8Array(n),
    pfn: new Float64Array(n),
    flags: new Uint32Array(n),
    count: new Int32Array(n),
    mapcount: new Int32Array(n),
    mapping: new Uint32Array(n),
    mt: new Uint8Array(n),
    zone: new Uint8Array(n),
    handle: new Uint32Array(n),
    pid: new Int32Array(n),
    ts: new Float64Array(n),
    reason: new Int32Array(n),
    err: new Int32Array(n),
  };
  for (let i = 0; i < n; i++) {
    const s = slots[i];
    out.kind[i] = store.kind[s];
    out.pfn[i] = store.pfn[s];
    out.flags[i] = store.flags[s];
    out.count[i] = store.count[s];
    out.mapcount[i] = store.mapcount[s];
    out.mapping[i] = store.mapping[s];
    out.mt[i] = store.mt[s];
    out.zone[i] = store.zone[s];
    out.handle[i] = handles === undefined ? store.handle[s] : handles[i];
    out.pid[i] = store.pid[s];
    out.ts[i] = store.ts[s];
    out.reason[i] = store.reason[s];
    out.err[i] = store.err[s];
  }
  return out;
}

/** Empty EventList of `n` records. */
export function allocEventList(n: number): EventList {
  return {
    length: n,
    kind: new Uint8Array(n),
    pfn: new Float64Array(n),
    flags: new Uint32Array(n),
    count: new Int32Array(n),
    mapcount: new Int32Array(n),
    mapping: new Uint32Array(n),
    mt: new Uint8Array(n),
    zone: new Uint8Array(n),
    handle: new Uint32Array(n),
    pid: new Int32Array(n),
    ts: new Float64Array(n),
    reason: new Int32Array(n),
    err: new Int32Array(n),
  };
}

/** Copy record `i` of `src` to record `j` of `dst`. */
export function copyEvent(src: EventList, i: number, dst: EventList, j: number): void {
  dst.kind[j] = src.kind[i];
  dst.pfn[j] = src.pfn[i];
  dst.flags[j] = src.flags[i];
  dst.count[j] = src.count[i];
  dst.mapcount[j] = src.mapcount[i];
  dst.mapping[j] = src.mapping[i];
  dst.mt[j] = src.mt[i];
  dst.zone[j] = src.zone[i];
  dst.handle[j] = src.handle[i];
  dst.pid[j] = src.pid[i];
  dst.ts[j] = src.ts[i];
  dst.reason[j] = src.reason[i];
  dst.err[j] = src.err[i];
}

/**
 * Lists each sorted by time merged into one, by timestamp; equal timestamps keep list order (the
 * lower CPU first, as ftrace's merged iterator does).
 */
export function concatEventLists(lists: readonly EventList[]): EventList {
  let n = 0;
  for (const l of lists) n += l.length;
  const out = allocEventList(n);
  const idx = new Array<number>(lists.length).fill(0);
  for (let j = 0; j < n; j++) {
    let best = -1;
    for (let c = 0; c < lists.length; c++) {
      if (idx[c] < lists[c].length && (best < 0 || lists[c].ts[idx[c]] < lists[best].ts[idx[best]])) best = c;
    }
    copyEvent(lists[best], idx[best]++, out, j);
  }
  return out;
}
