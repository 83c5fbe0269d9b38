/* global URL, console, process */
// The README's main command as a benchmark: the default `mm-lab run reporting-ab` (the main map
// and the shrink sub-map, 2 workers) on the built CLI, timed end to end (process start, workers and
// output included), with the guest's per-cpu lists on (the default) and off (--no-pcp)
// interleaved round by round. Prints runs/s per round, their range, the on/off ratio and the load.
// Needs `pnpm build`; skips with a message otherwise. BENCH_ROUNDS (default 2) sets the rounds.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { loadavg } from "node:os";
const main = new URL("../dist/main.js", import.meta.url);
if (!existsSync(main)) {
  console.log("reporting-map bench: SKIPPED (run `pnpm build` first; it measures dist/)");
  process.exit(0);
}
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const rate = { pcp: [], nopcp: [] };
let runs = 0;
for (let r = 0; r < rounds; r++) {
  for (const v of r % 2 === 0 ? ["pcp", "nopcp"] : ["nopcp", "pcp"]) {
    const args = [main.pathname, "run", "reporting-ab", "--timing", "--report", "none", ...(v === "nopcp" ? ["--no-pcp"] : [])];
    const t0 = process.hrtime.bigint();
    const out = execFileSync(process.execPath, args, { encoding: "utf8", maxBuffer: 1 << 26 });
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    runs = [...out.matchAll(/^(\d+) runs in /gm)].reduce((a, m) => a + Number(m[1]), 0);
    rate[v].push(runs / s);
    console.log(`  round ${r + 1} ${v.padEnd(5)}: ${runs} runs in ${s.toFixed(1)} s = ${(runs / s).toFixed(1)} runs/s (load ${loadavg()[0].toFixed(1)})`);
  }
}
const fmt = (xs) => `${Math.min(...xs).toFixed(1)}..${Math.max(...xs).toFixed(1)}`;
const ratios = rate.pcp.map((x, i) => x / rate.nopcp[i]);
console.log(`reporting-map bench: the default map, ${runs} runs per round, ${rounds} rounds`);
console.log(`  pcp (default): ${fmt(rate.pcp)} runs/s   --no-pcp: ${fmt(rate.nopcp)} runs/s   pcp/no-pcp ${fmt(ratios)}x; budget: >= ${(runs / 60).toFixed(1)} runs/s (60 s)`);
