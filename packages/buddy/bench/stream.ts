/** A deterministic mixed alloc/free stream (orders 0..10, mostly small), shared by the benches. */

/** Numerical Recipes LCG: deterministic, no Math.random. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Orders weighted like a kernel mix: order 0 dominates, THP-sized and max-order blocks are rare. */
const ORDER_WEIGHTS = [50, 12, 10, 8, 5, 4, 3, 2, 2, 3, 1];

export interface Stream {
  /** ops[i] >= 0: allocate that order; ops[i] < 0: free the live block at index -ops[i] - 1 (swap-remove). */
  readonly ops: Int32Array;
  /** Upper bound on live pages at any time. */
  readonly maxLivePages: number;
}

export function mixedStream(n: number, seed: number, liveCapPages: number): Stream {
  const rnd = lcg(seed);
  const total = ORDER_WEIGHTS.reduce((a, b) => a + b, 0);
  const ops = new Int32Array(n);
  const liveOrders: number[] = [];
  let livePages = 0;
  let maxLive = 0;
  for (let i = 0; i < n; i++) {
    let r = rnd() * total;
    let order = 0;
    while (r >= ORDER_WEIGHTS[order]) r -= ORDER_WEIGHTS[order++];
    const doAlloc = liveOrders.length === 0 || (rnd() < 0.5 && livePages + (1 << order) <= liveCapPages);
    if (doAlloc) {
      ops[i] = order;
      liveOrders.push(order);
      livePages += 1 << order;
      maxLive = Math.max(maxLive, livePages);
    } else {
      const j = Math.floor(rnd() * liveOrders.length);
      ops[i] = -j - 1;
      livePages -= 1 << liveOrders[j];
      liveOrders[j] = liveOrders[liveOrders.length - 1];
      liveOrders.pop();
    }
  }
  return { ops, maxLivePages: maxLive };
}

/**
 * Replay a stream through alloc/free callbacks; frees whatever is still live at the end so the
 * allocator is back where it started. `live` is scratch space of at least ops.length entries.
 */
export function replay(
  s: Stream,
  live: Int32Array,
  liveOrd: Int32Array,
  alloc: (order: number) => number,
  free: (pfn: number, order: number) => void,
): void {
  const ops = s.ops;
  let n = 0;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    if (op >= 0) {
      const p = alloc(op);
      if (p < 0) throw new Error("bench stream: allocation failed");
      live[n] = p;
      liveOrd[n++] = op;
    } else {
      const j = -op - 1;
      free(live[j], liveOrd[j]);
      live[j] = live[--n];
      liveOrd[j] = liveOrd[n];
    }
  }
  while (n > 0) {
    n--;
    free(live[n], liveOrd[n]);
  }
}
