/* global URL, console, process, performance */
// Sweep throughput of the built code: runs/s of a reporting-ab grid at --jobs 2 against --jobs 1
// (in-process, no workers: the strongest single-core baseline), interleaved, 3 rounds each.
// Worker start-up is inside the measured time. Needs `pnpm build`; skips with a message otherwise.
import { existsSync } from "node:fs";
const dist = new URL("../dist/index.js", import.meta.url);
if (!existsSync(dist)) {
  console.log("sweep-jobs bench: SKIPPED (run `pnpm build` first; it measures dist/)");
  process.exit(0);
}
const { experimentByName, makePlan, runSweep } = await import(dist.href);
const exp = experimentByName("reporting-ab");
const base = Object.fromEntries(Object.entries(exp.params).map(([k, s]) => [k, s.default]));
const plan = makePlan(exp, {
  experiment: exp.name,
  base,
  grid: "startDelayRatio=0.5,0.9,1.1,guestMib=512,1024",  // 6 cells x 3 policies x seeds
  sample: null,
  policies: ["fixed", "pang", "shift-reserve"],
  seeds: { first: 1, count: 20 },
});
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const rate = { 1: [], 2: [] };
for (let r = 0; r < rounds; r++) {
  for (const jobs of r % 2 === 0 ? [1, 2] : [2, 1]) {
    const t0 = performance.now();
    const res = await runSweep(exp, plan, { jobs });
    const s = (performance.now() - t0) / 1000;
    rate[jobs].push(res.rows.length / s);
  }
}
const fmt = (xs) => `${Math.min(...xs).toFixed(1)}..${Math.max(...xs).toFixed(1)}`;
const ratios = rate[2].map((x, i) => x / rate[1][i]);
console.log(`sweep-jobs bench: ${plan.total} reporting-ab runs per round, ${rounds} rounds`);
console.log(`  --jobs 1: ${fmt(rate[1])} runs/s   --jobs 2: ${fmt(rate[2])} runs/s   ratio ${fmt(ratios)}x (target >= 1.7 on 2 free cores)`);
