/**
 * The per-page arrays of disposed machines, reused by the next machine of the same size on this
 * thread. A sweep boots thousands of short-lived machines per thread; fresh arrays for each (about
 * 3.7 MB for a 1 GiB machine) kept V8's full GC busy on the second core (measured in
 * apps/mm-lab/bench/sweep-jobs.mjs: thread CPU per run with and without reuse).
 */

/** The arrays indexed by pfn (and the list heads past it). */
export interface PageArrays {
  flags: Uint8Array;
  refcount: Int32Array;
  order: Uint8Array;
  next: Int32Array;
  prev: Int32Array;
}

const spare: PageArrays[] = [];
/** Disposed sets kept: a sweep alternates between at most a couple of machine sizes per thread. */
const MAX_SPARE = 2;

/** Zeroed arrays for `nrPfns` pages and `nrLinks` list entries: a disposed machine's, or new. */
export function takePageArrays(nrPfns: number, nrLinks: number): PageArrays {
  const i = spare.findIndex((a) => a.flags.length === nrPfns && a.next.length === nrLinks);
  if (i < 0) {
    return {
      flags: new Uint8Array(nrPfns),
      refcount: new Int32Array(nrPfns),
      order: new Uint8Array(nrPfns),
      next: new Int32Array(nrLinks),
      prev: new Int32Array(nrLinks),
    };
  }
  const a = spare.splice(i, 1)[0];
  a.flags.fill(0);
  a.refcount.fill(0);
  a.order.fill(0);
  a.next.fill(0);
  a.prev.fill(0);
  return a;
}

/** Hand a machine's arrays back for reuse and leave it empty ones (twice is harmless). */
export function disposePageArrays(m: PageArrays): void {
  if (m.flags.length === 0) return;
  if (spare.length < MAX_SPARE) spare.push({ flags: m.flags, refcount: m.refcount, order: m.order, next: m.next, prev: m.prev });
  m.flags = new Uint8Array(0);
  m.refcount = new Int32Array(0);
  m.order = new Uint8Array(0);
  m.next = new Int32Array(0);
  m.prev = new Int32Array(0);
}
