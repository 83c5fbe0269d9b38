/**
 * stackdepot vs the obvious JS baseline (a Map keyed by the frames joined into a string, plus an
 * array of the traces for fetch), measured in the same run so vitest prints the ratios.
 * Also prints bytes per unique stack (kernel accounting and JS heap) for both.
 */
import { runInNewContext } from "node:vm";
import { setFlagsFromString } from "node:v8";
import { bench, describe } from "vitest";
import { GFP_KERNEL } from "@mm/api";
import { createStackDepot, type StackDepot } from "@mm/stackdepot";

const FRAMES = 16;
/** Distinct traces on the hit path. */
const HOT = 1024;

function traceOf(t: number, out = new Uint32Array(FRAMES)): Uint32Array {
  for (let i = 0; i < FRAMES; i++) out[i] = (0x81000000 + ((t * 2654435761 + i * 40503) >>> 8)) >>> 0;
  out[0] = t + 1;
  return out;
}

const hot = Array.from({ length: HOT }, (_, t) => traceOf(t));

/** The baseline store: Map<joined frames, id> + traces[id]. */
class MapStore {
  readonly ids = new Map<string, number>();
  readonly traces: Uint32Array[] = [new Uint32Array(0)];
  save(frames: Uint32Array, n: number): number {
    const key = frames.subarray(0, n).join(",");
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.traces.length;
      this.traces.push(frames.slice(0, n));
      this.ids.set(key, id);
    }
    return id;
  }
  fetch(id: number, out: Uint32Array): number {
    const t = this.traces[id];
    out.set(t);
    return t.length;
  }
}

let _sink = 0;

describe(`save hit path, ${FRAMES}-frame traces (${HOT} distinct)`, () => {
  const d = createStackDepot({ kernelPages: 1 << 20 });
  const m = new MapStore();
  for (const t of hot) {
    d.save(t, FRAMES, GFP_KERNEL);
    m.save(t, FRAMES);
  }
  bench("stackdepot save (hit)", () => {
    for (let i = 0; i < HOT; i++) _sink ^= d.save(hot[i], FRAMES, GFP_KERNEL);
  });
  bench("baseline Map<joined frames> (hit)", () => {
    for (let i = 0; i < HOT; i++) _sink ^= m.save(hot[i], FRAMES);
  });
});

describe(`save miss path, ${FRAMES}-frame traces (new trace every save)`, () => {
  const RESET = 400_000; // fresh stores well before the 8192-pool cap
  let d: StackDepot = createStackDepot({ kernelPages: 1 << 20 });
  let m = new MapStore();
  let nd = 0;
  let nm = 0;
  const fd = new Uint32Array(FRAMES);
  const fm = new Uint32Array(FRAMES);
  bench("stackdepot save (miss)", () => {
    if (nd >= RESET) {
      d = createStackDepot({ kernelPages: 1 << 20 });
      nd = 0;
    }
    for (let i = 0; i < 256; i++) _sink ^= d.save(traceOf(nd++, fd), FRAMES, GFP_KERNEL);
  });
  bench("baseline Map<joined frames> (miss)", () => {
    if (nm >= RESET) {
      m = new MapStore();
      nm = 0;
    }
    for (let i = 0; i < 256; i++) _sink ^= m.save(traceOf(nm++, fm), FRAMES);
  });
});

describe(`fetch, ${FRAMES}-frame traces`, () => {
  const d = createStackDepot({ kernelPages: 1 << 20 });
  const m = new MapStore();
  const dh = hot.map((t) => d.save(t, FRAMES, GFP_KERNEL));
  const mh = hot.map((t) => m.save(t, FRAMES));
  const out = new Uint32Array(FRAMES);
  bench("stackdepot fetch", () => {
    for (let i = 0; i < HOT; i++) _sink ^= d.fetch(dh[i], out);
  });
  bench("baseline traces[id] copy", () => {
    for (let i = 0; i < HOT; i++) _sink ^= m.fetch(mh[i], out);
  });
});

// ------------------------------------------------------------------------------------------------
// Bytes per unique stack: not a timing, printed once. JS heap deltas are taken after forced GCs.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

function heapDelta(build: () => unknown): { bytes: number; keep: unknown } {
  gc();
  gc();
  const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const keep = build();
  gc();
  gc();
  const after = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  return { bytes: after - before, keep };
}

const UNIQUE = 100_000;
const f = new Uint32Array(FRAMES);
const dm = heapDelta(() => {
  const d = createStackDepot({ kernelPages: 1 << 20 });
  for (let t = 0; t < UNIQUE; t++) d.save(traceOf(t, f), FRAMES, GFP_KERNEL);
  return d;
});
const mm = heapDelta(() => {
  const m = new MapStore();
  for (let t = 0; t < UNIQUE; t++) m.save(traceOf(t, f), FRAMES);
  return m;
});
const ds = (dm.keep as StackDepot).stats();
const kernelPer = ds.totalBytes / UNIQUE;
const recordPer = ds.persistentBytes / UNIQUE;
console.log(
  `bytes per unique ${FRAMES}-frame stack (${UNIQUE} stacks): ` +
    `stackdepot kernel accounting ${kernelPer.toFixed(1)} B (records ${recordPer.toFixed(0)} B, ${ds.pools} pools + ${ds.sparePools} spare + ${ds.tableBytes} B table), ` +
    `stackdepot JS heap ${(dm.bytes / UNIQUE).toFixed(1)} B, ` +
    `baseline Map JS heap ${(mm.bytes / UNIQUE).toFixed(1)} B -> ` +
    `stackdepot uses ${((dm.bytes / mm.bytes) * 100).toFixed(1)}% of the baseline (${(mm.bytes / dm.bytes).toFixed(2)}x less)`,
);

// Heap growth per hit-path save (no GC in between: an allocating loop grows the heap).
function loop(fn: (i: number) => number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s ^= fn(i);
  return s;
}
function growthPerOp(fn: (i: number) => number, n: number): number {
  // warm up through the same loop so JIT work is not counted as allocation
  _sink ^= loop(fn, 100_000);
  _sink ^= loop(fn, 100_000);
  gc();
  const before = process.memoryUsage().heapUsed;
  _sink ^= loop(fn, n);
  return (process.memoryUsage().heapUsed - before) / n;
}
{
  const d = createStackDepot({ kernelPages: 1 << 20 });
  const m = new MapStore();
  for (const t of hot) {
    d.save(t, FRAMES, GFP_KERNEL);
    m.save(t, FRAMES);
  }
  const n = 1_000_000;
  const dg = growthPerOp((i) => d.save(hot[i & (HOT - 1)], FRAMES, GFP_KERNEL), n);
  const mg = growthPerOp((i) => m.save(hot[i & (HOT - 1)], FRAMES), n);
  console.log(
    `heap growth per hit-path save (${n} saves, no GC between): stackdepot ${dg.toFixed(3)} B, baseline Map ${mg.toFixed(1)} B (a lower bound: scavenges may run during the baseline)`,
  );
}
