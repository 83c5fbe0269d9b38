/* global URL, console, process */
// Per-cpu lists on the hot path: order-0 alloc/free churn (a working set of 4096 pages recycled
// 200,000 times, 1/8 of the frees at order 1..3 or THP) on a 1 GiB machine, pcp on (2 CPUs,
// switching every 64 operations) against pcp off, interleaved round by round on the built dist/.
// Prints ops/s per variant and the on/off ratio's range. BENCH_ROUNDS (default 5).
import { existsSync } from "node:fs";
import { loadavg } from "node:os";
const dist = new URL("../dist/index.js", import.meta.url);
if (!existsSync(dist)) {
  console.log("pcp bench: SKIPPED (run `pnpm build` first)");
  process.exit(0);
}
const { createMachine } = await import(dist.href);
const GFP = 0x100cca; // GFP_HIGHUSER_MOVABLE (6.1)
const COMP = 0x40000; // __GFP_COMP
function churn(pcp) {
  const m = createMachine({ memoryBytes: 1 << 30, pcp, cpus: 2 });
  const held = new Int32Array(4096);
  const ord = new Uint8Array(4096);
  for (let i = 0; i < held.length; i++) held[i] = m.allocPages(0, GFP);
  let x = 1;
  const n = 200_000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    if ((i & 63) === 0) m.setCpu((i >> 6) % m.cpus);
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const k = x & 4095;
    m.freePages(held[k], ord[k]);
    const o = (x >>> 13) % 8 === 0 ? [1, 2, 3, 9][(x >>> 16) & 3] : 0;
    const p = m.allocPages(o, GFP | (o === 9 ? COMP : 0));
    held[k] = p >= 0 ? p : m.allocPages(0, GFP);
    ord[k] = p >= 0 ? o : 0;
  }
  return (2 * n) / (Number(process.hrtime.bigint() - t0) / 1e9);
}
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const r = { on: [], off: [] };
for (let i = 0; i < rounds; i++) for (const v of i % 2 === 0 ? ["on", "off"] : ["off", "on"]) r[v].push(churn(v === "on"));
const fmt = (xs, d = 2) => `${Math.min(...xs).toFixed(d)}..${Math.max(...xs).toFixed(d)}`;
const mops = (xs) => fmt(xs.map((v) => v / 1e6));
console.log(`pcp bench (${rounds} rounds, load ${loadavg()[0].toFixed(1)}): pcp on ${mops(r.on)} Mops/s, off ${mops(r.off)} Mops/s, on/off ${fmt(r.on.map((v, i) => v / r.off[i]))}x`);
