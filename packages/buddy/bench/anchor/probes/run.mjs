/* global process, console, URL, WebAssembly */
// Ceiling probes for issue #15's speed targets, interleaved with the perf-anchor references:
//   node bench/anchor/probes/run.mjs [rounds=3]        (pnpm --filter @mm/buddy bench:probes)
// - wasm: the reference algorithm itself in WebAssembly (reference-buddy.wat, assembled with wabt),
//   driven by the same JS workload loop through one JS-to-wasm call per alloc or free;
// - lean: @mm/buddy's own steps for order0 / order0_batch written leanly in JS (lean-zone.mjs).
// Each workload runs in its own process (workloads.md §3). The probe's digests are printed so that
// the wasm one can be checked against the C reference's (workloads.md §4).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildC, findAnchor } from "../references.mjs";
import { WORKLOADS, FULL_ITERS } from "../workloads.mjs";

const here = fileURLToPath(new URL(".", import.meta.url));
const N = 1 << 20;

async function child(impl, wl) {
  let a;
  if (impl === "wasm") {
    const wabt = await (await import("wabt")).default();
    const bin = wabt.parseWat("reference-buddy.wat", readFileSync(join(here, "reference-buddy.wat"), "utf8")).toBinary({}).buffer;
    const e = new WebAssembly.Instance(new WebAssembly.Module(bin), {}).exports;
    e.init(N);
    e.boot();
    a = { alloc: e.alloc, free: e.free };
  } else {
    const { createLeanZone } = await import("./lean-zone.mjs");
    const z = createLeanZone(N);
    const gfps = [0xcc0, 0xcc8, 0xcd0]; // GFP_KERNEL, | __GFP_MOVABLE, | __GFP_RECLAIMABLE
    a = { alloc: (o, mt) => z.alloc(o, gfps[mt]), free: z.free };
  }
  const r = WORKLOADS[wl](a, FULL_ITERS[wl]);
  console.log(`${wl} ${(r.ops / r.secs).toFixed(0)} ops/s digest ${(r.digest >>> 0).toString(16).padStart(8, "0")}`);
}

if (process.argv[2] === "child") {
  await child(process.argv[3], process.argv[4]);
  process.exit(0);
}

const rounds = Number(process.argv[2] ?? 3);
const anchor = findAnchor();
if (anchor === undefined) {
  console.log("perf-anchor not found (set PERF_ANCHOR_DIR); skipping the probes");
  process.exit(0);
}
const cBin = buildC(anchor);
function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  const m = /^\S+ (\d+) ops\/s(?: digest (\w+))?/m.exec(r.stdout);
  if (r.status !== 0 || m === null) throw new Error(`${cmd} ${args.join(" ")} failed:\n${r.stdout}${r.stderr}`);
  const d = /digest=(\w+)/.exec(r.stdout);
  return { ops: Number(m[1]), digest: m[2] ?? (d === null ? "" : d[1]) };
}
const ratios = {};
const add = (k, v) => (ratios[k] ??= []).push(v);
for (let round = 1; round <= rounds; round++) {
  for (const wl of ["order0", "order0_batch", "mixed"]) {
    const c = cBin === null ? null : run(cBin, [wl]);
    const js = run(process.execPath, [join(anchor, "bench_naive.mjs"), wl]);
    const wasm = run(process.execPath, [fileURLToPath(import.meta.url), "child", "wasm", wl]);
    const lean = wl === "mixed" ? null : run(process.execPath, [fileURLToPath(import.meta.url), "child", "lean", wl]);
    const M = (x) => (x === null ? "-" : `${(x.ops / 1e6).toFixed(2)} M`);
    console.log(`round ${round} ${wl}: C ${M(c)}  plain JS ${M(js)}  wasm ${M(wasm)} (digest ${wasm.digest})  lean JS ${M(lean)}`);
    if (c !== null) add(`plain JS / C, ${wl}`, js.ops / c.ops);
    add(`wasm / plain JS, ${wl}`, wasm.ops / js.ops);
    if (c !== null) add(`wasm / C, ${wl}`, wasm.ops / c.ops);
    if (lean !== null) add(`lean JS / plain JS, ${wl}`, lean.ops / js.ops);
  }
}
const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log("\n| ratio (ops/s) | min | median | max |\n|---|---:|---:|---:|");
for (const [k, xs] of Object.entries(ratios))
  console.log(`| ${k} | ${Math.min(...xs).toFixed(2)}x | ${med(xs).toFixed(2)}x | ${Math.max(...xs).toFixed(2)}x |`);
