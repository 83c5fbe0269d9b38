/* global process, console, URL */
// `pnpm bench` part 1: the perf-anchor workloads on the built @mm/buddy (dist/, plain Node),
// interleaved round by round with the plain-JS reference (bench_naive.mjs) and, when gcc is
// present, the C reference built into a temp dir. Each run is its own process (workloads.md §3).
// Prints per-round ratios (ours / reference ops/s) and their min..median..max.
//   node bench/anchor/run.mjs [rounds=2]    PERF_ANCHOR_DIR=... to point at the references
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildC, findAnchor } from "./references.mjs";

const here = fileURLToPath(new URL(".", import.meta.url));
const anchor = findAnchor();
const rounds = Number(process.argv[2] ?? 2);
const workloads = ["order0", "order0_batch", "mixed"];

if (!existsSync(join(here, "../../dist/index.js"))) {
  console.log("@mm/buddy has no dist/ (run `pnpm build` first); skipping the reference comparison");
  process.exit(0);
}
if (anchor === undefined) {
  console.log("perf-anchor not found (set PERF_ANCHOR_DIR); skipping the reference comparison");
  process.exit(0);
}
const cBin = buildC(anchor);

function opsPerSec(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 24 });
  if (r.status !== 0 || !/^ok$/m.test(r.stdout)) throw new Error(`${cmd} ${args.join(" ")} failed:\n${r.stdout}${r.stderr}`);
  const m = /^(\S+) (\d+) ops\/s$/m.exec(r.stdout);
  return Number(m[2]);
}

const ratios = {};
for (let round = 1; round <= rounds; round++) {
  for (const wl of workloads) {
    const row = {};
    if (cBin !== null) row.C = opsPerSec(cBin, [wl]);
    row.JS = opsPerSec(process.execPath, [join(anchor, "bench_naive.mjs"), wl]);
    row.buddy = opsPerSec(process.execPath, [join(here, "run-one.mjs"), wl]);
    const line = [`round ${round} ${wl}:`, `@mm/buddy ${(row.buddy / 1e6).toFixed(2)} M ops/s`, `plain JS ${(row.JS / 1e6).toFixed(2)} M`];
    (ratios[`${wl} vs JS`] ??= []).push(row.buddy / row.JS);
    if (row.C !== undefined) {
      line.push(`C ${(row.C / 1e6).toFixed(2)} M`);
      (ratios[`${wl} vs C`] ??= []).push(row.buddy / row.C);
    }
    console.log(line.join("  "));
  }
}
console.log("\n| ratio (@mm/buddy / reference ops/s) | min | median | max | rounds |\n|---|---:|---:|---:|---:|");
for (const [k, v] of Object.entries(ratios)) {
  const s = [...v].sort((a, b) => a - b);
  const med = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  console.log(`| ${k} | ${s[0].toFixed(2)}x | ${med.toFixed(2)}x | ${s[s.length - 1].toFixed(2)}x | ${s.length} |`);
}
