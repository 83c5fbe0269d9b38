/* global performance */
// The perf-anchor workloads (../shared/perf-anchor/workloads.md §3: order0, order0_batch, mixed),
// driving any allocator with alloc(order, mt) -> pfn | -1 and free(pfn, order). Plain JavaScript
// so that plain Node runs it against the built dist/ and vitest runs it against either.
// Counting and PRNG are workloads.md §2 exactly; the digests differ from the references' because
// @mm/buddy places blocks as the kernel does (tail placement, stealing).

export const MIGRATE_UNMOVABLE = 0;
export const MIGRATE_MOVABLE = 1;
export const MIGRATE_RECLAIMABLE = 2;
export const N_PAGES = 1 << 20;

function xs32(s) {
  let x = s[0];
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  s[0] = x;
  return s[0];
}
function drawOrder(s) {
  const r = xs32(s);
  if (r === 0) return 10;
  const k = 31 - Math.clz32(r & -r);
  return k > 10 ? 10 : k;
}
function drawMt(s) {
  const r = xs32(s) & 7;
  return r === 0 ? MIGRATE_UNMOVABLE : r === 1 ? MIGRATE_RECLAIMABLE : MIGRATE_MOVABLE;
}
const digestStep = (h, pfn) => Math.imul(h ^ pfn, 16777619) >>> 0;

/** order0: FIFO window of 4096 order-0 movable pages, `iters` allocations. @returns { ops, secs, digest } */
export function order0(a, iters) {
  const W = 4096;
  const ring = new Int32Array(W);
  let h = 2166136261;
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) {
    const p = a.alloc(0, MIGRATE_MOVABLE);
    if (p < 0) throw new Error(`order0: allocation ${i} failed`);
    h = digestStep(h, p);
    const slot = i % W;
    if (i >= W) a.free(ring[slot], 0);
    ring[slot] = p;
  }
  const out = iters < W ? iters : W;
  for (let k = 0; k < out; k++) a.free(ring[(iters - out + k) % W], 0);
  return { ops: 2 * iters, secs: (performance.now() - t0) / 1e3, digest: h };
}

/** order0_batch: allocate 4096 order-0 pages, free them in order; `iters` allocations. */
export function order0Batch(a, iters) {
  const W = 4096;
  const batch = new Int32Array(W);
  let h = 2166136261;
  const t0 = performance.now();
  let done = 0;
  while (done < iters) {
    const b = iters - done < W ? iters - done : W;
    for (let k = 0; k < b; k++) {
      const p = a.alloc(0, MIGRATE_MOVABLE);
      if (p < 0) throw new Error(`order0_batch: allocation ${done + k} failed`);
      h = digestStep(h, p);
      batch[k] = p;
    }
    for (let k = 0; k < b; k++) a.free(batch[k], 0);
    done += b;
  }
  return { ops: 2 * iters, secs: (performance.now() - t0) / 1e3, digest: h };
}

/** mixed: fill to 60 % with random orders and types, then `churnOps` timed ops between 55 and 65 %. */
export function mixed(a, churnOps, n = N_PAGES) {
  const target = Math.floor((n * 60) / 100);
  const lo = Math.floor((n * 55) / 100);
  const hi = Math.floor((n * 65) / 100);
  const s = new Uint32Array([2463534242]);
  let h = 2166136261;
  const livePfn = new Int32Array(n);
  const liveOrder = new Uint8Array(n);
  let nlive = 0;
  let used = 0;
  let fails = 0;
  while (used < target) {
    const o = drawOrder(s);
    const p = a.alloc(o, drawMt(s));
    if (p < 0) {
      fails++;
      continue;
    }
    h = digestStep(h, p);
    livePfn[nlive] = p;
    liveOrder[nlive++] = o;
    used += 1 << o;
  }
  const t0 = performance.now();
  for (let i = 0; i < churnOps; i++) {
    const r = xs32(s);
    let doFree = used >= hi ? 1 : used < lo ? 0 : r & 1;
    if (nlive === 0) doFree = 0;
    if (doFree) {
      const idx = xs32(s) % nlive;
      const p = livePfn[idx];
      const o = liveOrder[idx];
      a.free(p, o);
      used -= 1 << o;
      nlive--;
      livePfn[idx] = livePfn[nlive];
      liveOrder[idx] = liveOrder[nlive];
    } else {
      const o = drawOrder(s);
      const p = a.alloc(o, drawMt(s));
      if (p < 0) {
        fails++;
        continue;
      }
      h = digestStep(h, p);
      livePfn[nlive] = p;
      liveOrder[nlive++] = o;
      used += 1 << o;
    }
  }
  const secs = (performance.now() - t0) / 1e3;
  for (let i = 0; i < nlive; i++) a.free(livePfn[i], liveOrder[i]);
  return { ops: churnOps, secs, digest: h, fails };
}

export const WORKLOADS = { order0, order0_batch: order0Batch, mixed };
/** workloads.md's sizes: 20 M iterations for the order-0 workloads, 10 M churn ops for mixed. */
export const FULL_ITERS = { order0: 20_000_000, order0_batch: 20_000_000, mixed: 10_000_000 };

/**
 * @mm/buddy as the workloads' allocator: one 4 GiB zone ("single" layout, so no DMA zones), the
 * default watermarks, fallback and stealing on, no hooks registered. The migratetype picks the gfp
 * as the kernel derives it (gfp_migratetype): GFP_KERNEL, GFP_KERNEL | __GFP_MOVABLE,
 * GFP_KERNEL | __GFP_RECLAIMABLE.
 */
export function buddyAllocator(mod, api) {
  const m = mod.createMachine({ memoryBytes: N_PAGES * 4096, zoneLayout: "single" });
  const gfps = [api.GFP_KERNEL, api.GFP_KERNEL | api.__GFP_MOVABLE, api.GFP_KERNEL | api.__GFP_RECLAIMABLE];
  return {
    machine: m,
    alloc: (order, mt) => m.allocPages(order, gfps[mt]),
    free: (pfn, order) => m.freePages(pfn, order),
  };
}

/** The plain-JS reference (naive-zone.mjs) as the workloads' allocator. */
export function naiveAllocator(createZone) {
  const z = createZone(N_PAGES);
  z.boot();
  return { machine: null, alloc: z.allocPages, free: z.freePages };
}
