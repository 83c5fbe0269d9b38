/* global URL, console, process, performance */
// Sweep throughput of the built code: runs/s of a reporting-ab grid at --jobs 2 against --jobs 1
// (in-process, no workers: the strongest single-core baseline), interleaved rounds. Worker
// start-up is inside the measured time. Needs `pnpm build`; skips with a message otherwise.
// Wall-clock runs/s measure the neighbours too on a shared machine, so it also prints the
// load-independent part: thread CPU per run (Linux /proc/thread-self/schedstat) in the workers,
// at start-up, and on the main thread, and the ratio those CPU costs allow on 2 free cores.
// BENCH_ROUNDS (default 3) and BENCH_SEEDS (default 60: 6 cells x 3 policies x 60 = 1080 runs, a
// sweep of the size the README shows; on 360 runs the cold round weighs worker start-up and each
// worker's own JIT warm-up three times as much: 1.47x cold against 1.86-1.90x warm, measured 2026-12-02).
import { existsSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
const dist = new URL("../dist/index.js", import.meta.url);
if (!existsSync(dist)) {
  console.log("sweep-jobs bench: SKIPPED (run `pnpm build` first; it measures dist/)");
  process.exit(0);
}
const { closePool, experimentByName, makePlan, runSweep } = await import(dist.href);
const exp = experimentByName("reporting-ab");
const base = Object.fromEntries(Object.entries(exp.params).map(([k, s]) => [k, s.default]));
const plan = makePlan(exp, {
  experiment: exp.name,
  base,
  grid: "startDelayRatio=0.5,0.9,1.1,guestMib=512,1024", // 6 cells x 3 policies x seeds
  sample: null,
  policies: ["fixed", "pang", "shift-reserve"],
  seeds: { first: 1, count: Number(process.env.BENCH_SEEDS ?? 60) },
});
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
// round 0 is cold for both (the first in-process runs compile the code; --jobs 2 starts its
// workers); later rounds are warm for both (compiled in-process code; the pool's warm workers)
const rate = { 1: [], 2: [] };
const cpu = { 1: [], 2: [] };
const proc = { 1: [], 2: [] };
const load = [];
for (let r = 0; r < rounds; r++) {
  for (const jobs of r % 2 === 0 ? [1, 2] : [2, 1]) {
    load.push(loadavg()[0]);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const res = await runSweep(exp, plan, { jobs, profile: true });
    const s = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    rate[jobs].push(res.rows.length / s);
    proc[jobs].push((c.user + c.system) / 1000 / res.rows.length);
    if (res.profile !== null) cpu[jobs].push(res.profile);
  }
}
await closePool();
const range = (xs, d = 1) => (xs.length === 0 ? "-" : `${Math.min(...xs).toFixed(d)}..${Math.max(...xs).toFixed(d)}`);
const ratios = rate[2].map((x, i) => x / rate[1][i]);
console.log(`sweep-jobs bench: ${plan.total} reporting-ab runs per round, ${rounds} rounds, ${availableParallelism()} cores, load average ${range(load)} while measured`);
console.log(`  --jobs 1: ${range(rate[1])} runs/s   --jobs 2: ${range(rate[2])} runs/s   ratio ${range(ratios, 2)}x (target >= 1.7 on 2 free cores)`);
console.log(`  ratio per round: ${ratios.map((x) => x.toFixed(2)).join(" ")} (round 0 cold, the rest warm)`);
if (cpu[1].length > 0 && cpu[2].length > 0) {
  const ms = (p, k) => p[k] / 1e6 / p.runs;
  const r1 = cpu[1].map((p) => ms(p, "runNs") + ms(p, "mainNs"));
  const w = cpu[2].map((p) => ms(p, "runNs"));
  const st = cpu[2].map((p) => ms(p, "startNs"));
  const m = cpu[2].map((p) => ms(p, "mainNs"));
  const warm = (xs) => (xs.length > 1 ? xs.slice(1) : xs);
  console.log(`  thread CPU per run (load-independent), ms: --jobs 1 main thread ${range(r1, 2)};  --jobs 2: in a worker ${range(w, 2)}, worker start-up ${range(st, 2)}, main thread ${range(m, 3)}`);
  console.log(`  worker / main-thread CPU per run at --jobs 2: ${range(w.map((x, i) => x / m[i]), 0)}x (the main thread saturates only past that many workers)`);
  console.log(`  process CPU per run (all threads: + V8 GC and JIT helpers), ms: --jobs 1 ${range(proc[1], 1)}, --jobs 2 ${range(proc[2], 1)}`);
  // --jobs 1 runs at its main thread's pace (its GC/JIT helpers use the other core); --jobs 2 at
  // best spreads all its threads' CPU over the 2 cores, and never outruns its main thread
  const bound = proc[2].map((p2, i) => Math.min((2 * r1[i]) / p2, r1[i] / m[i]));
  console.log(`  ratio these CPU costs allow on 2 free cores: ${range(bound, 2)}x (warm rounds ${range(warm(bound), 2)}x)`);
}
