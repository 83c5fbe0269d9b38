// Ceiling probe, not an allocator: the steps @mm/buddy takes on the order0 / order0_batch paths
// (order-0 zone_watermark_fast against free pages, freeMask + __rmqueue_smallest + expand onto
// circular lists, prep with refcount and flags, hook arrays dispatched with none registered;
// on free: the validity test, refcount drop, __free_one_page's merge with the pageblock rule and
// buddy_merge_likely tail placement) written as leanly as V8 allows, over a state object as the
// package's rooms are. No fallback, stealing, zones or slow path: it fails where those would be
// needed, so it answers for order0 and order0_batch only. How fast can this design go in JS?
// run.mjs runs it beside the references.
const NRO = 11, MT = 6, PBO = 9;
class State {
  constructor(N) {
    this.N = N; this.base = N;
    this.flags = new Uint8Array(N); this.order = new Uint8Array(N); this.refc = new Int32Array(N);
    this.next = new Int32Array(N + NRO * MT); this.prev = new Int32Array(N + NRO * MT);
    this.pbmt = new Uint8Array(N >> PBO).fill(1);
    this.mask = new Int32Array(MT); this.nrFree = new Int32Array(NRO);
    this.zc = new Int32Array(8);
    this.hooksA = []; this.hooksF = [];
  }
}
function add(s, pfn, o, mt, tail) {
  const next = s.next, prev = s.prev;
  const h = (s.base + o * MT + mt) | 0;
  if (tail) { const l = prev[h]; next[pfn] = h; prev[pfn] = l; next[l] = pfn; prev[h] = pfn; }
  else { const f = next[h]; next[pfn] = f; prev[pfn] = h; prev[f] = pfn; next[h] = pfn; }
  s.flags[pfn] = 1; s.order[pfn] = o; s.nrFree[o] = (s.nrFree[o] + 1) | 0; s.mask[mt] |= 1 << o;
}
function del(s, pfn, o) {
  const next = s.next, prev = s.prev;
  const nx = next[pfn], pv = prev[pfn];
  next[pv] = nx; prev[nx] = pv;
  if (nx === pv) s.mask[((nx - s.base) | 0) % MT] &= ~(1 << o);
  s.flags[pfn] = 0; s.nrFree[o] = (s.nrFree[o] - 1) | 0;
}
function alloc(s, o, gfp) {
  const mt = (gfp >> 3) & 3;
  const zc = s.zc;
  const free = zc[0];
  const mark = (zc[1] + zc[2] + zc[5]) | 0;
  if (o === 0) { if (((free - zc[3] - zc[4]) | 0) <= mark) return -1; }
  else if (((free - (1 << o) + 1) | 0) <= mark) return -1;
  const m = s.mask[mt] >> o;
  if (m === 0) return -1;
  const at = (o + 31 - Math.clz32(m & -m)) | 0;
  const pfn = s.next[(s.base + at * MT + mt) | 0];
  del(s, pfn, at);
  let hi = at, size = 1 << at;
  while (hi > o) { hi = (hi - 1) | 0; size >>= 1; add(s, (pfn + size) | 0, hi, mt, false); }
  zc[0] = (free - (1 << o)) | 0;
  s.refc[pfn] = 1; s.order[pfn] = o; s.flags[pfn] = 2 | ((gfp & 8) ? 4 : 0);
  const hooksA = s.hooksA;
  for (let k = 0; k < hooksA.length; k++) hooksA[k](pfn, o);
  return pfn;
}
function freeP(s, pfn, o) {
  const flags = s.flags, order = s.order;
  if (!(pfn >= 0 && pfn < s.N) || (flags[pfn] & 2) === 0 || order[pfn] !== o) throw new Error("bad free");
  const c = (s.refc[pfn] - 1) | 0; s.refc[pfn] = c;
  if (c !== 0) return;
  const hooksF = s.hooksF;
  for (let k = 0; k < hooksF.length; k++) hooksF[k](pfn, o);
  flags[pfn] = 0;
  const mt = s.pbmt[pfn >> PBO];
  s.zc[0] = (s.zc[0] + (1 << o)) | 0;
  let buddy = 0;
  while (o < 10) {
    buddy = pfn ^ (1 << o);
    if ((flags[buddy] & 1) === 0 || order[buddy] !== o) break;
    if (o >= PBO && s.pbmt[buddy >> PBO] !== mt) break;
    del(s, buddy, o);
    pfn &= buddy; o = (o + 1) | 0;
  }
  let tail = false;
  if (o < 9) { const hb = (buddy & pfn) ^ (1 << (o + 1)); tail = (flags[hb] & 1) !== 0 && order[hb] === o + 1; }
  add(s, pfn, o, mt, tail);
}
class Machine { constructor(N) { this.s = new State(N); const s = this.s;
  for (let h = 0; h < NRO * MT; h++) { s.next[s.base + h] = s.base + h; s.prev[s.base + h] = s.base + h; }
  for (let p = N - 1024; p >= 0; p -= 1024) add(s, p, 10, 1, false);
  s.zc[0] = N; s.zc[1] = 2560; }
  allocPages(o, gfp) { return alloc(this.s, o, gfp); }
  freePages(p, o) { freeP(this.s, p, o); } }
/** A probe zone of N pages (a multiple of 1024) as { alloc(order, gfp), free(pfn, order) }. */
export function createLeanZone(N) { const m = new Machine(N); return { alloc: (o, g) => m.allocPages(o, g), free: (p, o) => m.freePages(p, o) }; }
