// Whole-process wall time and peak RSS of our page_owner_sort against the kernel's own C tool
// (built by scripts/build-kernel-tools.sh), the ratios issue #16 sets targets for:
//
//   10-20 MB dumps: <= 0.5x the C tool's wall time, <= 2x its peak RSS
//   ~1 GiB (PAGE_OWNER_BENCH_1G=1): <= 0.15x wall, <= 0.15x peak, also with -a and --compat=6.1
//
// Inputs: the real 9.5 MB capture; 19 MB = the capture followed by a copy of it whose timestamps
// are shifted past the first's (a longer capture of the same machine: with -a and 6.1, which group
// by text with timestamps, groups stay about as many as records); ~1 GiB = copies of the 19 MB
// file (the "60 copies of a 17 MB dump"). Written to a temp dir, deleted after.
//
// Median of PAGE_OWNER_BENCH_ROUNDS (5) runs, C and ours interleaved in each round so load drifts
// hit both alike; peak RSS is /usr/bin/time's max RSS. "ours" is what users run: the bin bundle
// (scripts/bundle-bin.mjs) started through its shebang, so its V8 flags apply. Next to it: the
// same CLI from source through tsx (unbundled, the JS baseline; skipped at 1 GiB), and the floor
// any Node program pays, `node -e 0`.
//
//   pnpm --filter @mm/page-owner bench:kernel          (also the last step of `pnpm bench`)

import { spawnSync } from "node:child_process";
import { chmodSync, createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { findKernelTool } from "../../test/analyzer/differential/kernel-tools.js";
// @ts-expect-error -- a plain .mjs build script, no declarations
import { bundleBin as bundleBinUntyped } from "../../scripts/bundle-bin.mjs";

const bundleBin = bundleBinUntyped as (out: string) => Promise<string>;
const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, "..", "..");
const FIXTURE = join(pkg, "..", "..", "fixtures", "kernel-6.1-256M", "page_owner.txt.gz");
const ROUNDS = Number(process.env.PAGE_OWNER_BENCH_ROUNDS ?? 5);
const TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;

interface Sample {
  s: number;
  kib: number | null;
}

function runOnce(cmd: readonly string[]): Sample {
  const argv = TIME === null ? cmd : [TIME, "-f", "%e %M", ...cmd];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { encoding: "latin1", maxBuffer: 64 << 20 });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd.join(" ")} failed (${r.status}): ${r.stderr.slice(-400)}`);
  const kib = TIME === null ? null : Number(r.stderr.trim().split("\n").pop()!.split(" ")[1]);
  return { s, kib };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

const secs = (xs: readonly Sample[]): number => median(xs.map((x) => x.s));
const mib = (xs: readonly Sample[]): number | null => (xs.length === 0 || xs[0].kib === null ? null : median(xs.map((x) => x.kib!)) / 1024);
const f = (x: number | null, d = 3): string => (x === null ? "-" : x.toFixed(d));
const ratio = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : a / b);
const verdict = (r: number | null, limit: number): string => (r === null ? "-" : r <= limit ? "met" : "NOT met");

/** The capture, then a copy of it with every ts shifted past the first copy's last one. */
function shiftedDouble(raw: Buffer): Buffer {
  const text = raw.toString("latin1");
  let max = 0;
  for (const m of text.matchAll(/, ts (\d+) ns/g)) max = Math.max(max, Number(m[1]));
  const shift = 10 ** Math.ceil(Math.log10(max + 1)); // a round offset: digit counts grow by at most one
  const later = text.replace(/, ts (\d+) ns/g, (_, d: string) => `, ts ${Number(d) + shift} ns`);
  return Buffer.concat([raw, Buffer.from(later, "latin1")]);
}

async function writeCopies(path: string, unit: Buffer, bytes: number): Promise<number> {
  const ws = createWriteStream(path);
  const copies = Math.ceil(bytes / unit.length);
  for (let i = 0; i < copies; i++) if (!ws.write(unit)) await new Promise<void>((r) => ws.once("drain", () => r()));
  await new Promise<void>((r) => ws.end(() => r()));
  return copies;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "page-owner-vs-kernel-"));
  try {
    const raw = gunzipSync(readFileSync(FIXTURE));
    const small = join(dir, "capture.txt");
    writeFileSync(small, raw);
    const doubled = shiftedDouble(raw);
    const mid = join(dir, "capture-19m.txt");
    writeFileSync(mid, doubled);
    const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;
    const inputs: { name: string; path: string; big: boolean }[] = [
      { name: `${mb(raw.length)} capture`, path: small, big: false },
      { name: `${mb(doubled.length)} (capture + ts-shifted copy)`, path: mid, big: false },
    ];
    if (process.env.PAGE_OWNER_BENCH_1G === "1") {
      const big = join(dir, "capture-1g.txt");
      const copies = await writeCopies(big, doubled, 1 << 30);
      inputs.push({ name: `${((copies * doubled.length) / 2 ** 30).toFixed(2)} GiB (${copies} x ${mb(doubled.length)})`, path: big, big: true });
    }
    const bundled = await bundleBin(join(dir, "page_owner_sort.cjs"));
    chmodSync(bundled, 0o755);
    const tools = { "6.1": findKernelTool("6.1"), "6.12": findKernelTool("6.12") };
    for (const t of Object.values(tools)) if (typeof t === "string") console.log(`no C baseline: ${t}`);
    const configs: { label: string; era: "6.1" | "6.12"; args: string[] }[] = [
      { label: "default", era: "6.12", args: [] },
      { label: "--cull=stacktrace", era: "6.12", args: ["--cull=stacktrace"] },
      { label: "-a", era: "6.12", args: ["-a"] },
      { label: "--compat=6.1 (default)", era: "6.1", args: [] },
    ];
    const load0 = loadavg()[0];
    const floor: Sample[] = [];
    for (let r = 0; r < Math.max(ROUNDS, 5); r++) floor.push(runOnce([process.execPath, "-e", "0"]));
    console.log(
      `Node ${process.version}; whole process, median of ${ROUNDS}, interleaved; peak RSS from ${TIME ?? "(no /usr/bin/time: not measured)"}; load average ${load0.toFixed(1)} at start`,
    );
    console.log(`Node floor (node -e 0): ${f(secs(floor))} s, ${f(mib(floor), 1)} MiB`);
    console.log("input | options | C s | C MiB | ours s | ours MiB | wall vs C | peak vs C | target | floor wall vs C | floor peak vs C | tsx (unbundled) s");
    for (const input of inputs) {
      const [wallLimit, peakLimit] = input.big ? [0.15, 0.15] : [0.5, 2];
      for (const c of configs) {
        const tool = tools[c.era];
        const ext = c.era === "6.1" ? ["--compat=6.1"] : [];
        const cs: Sample[] = [];
        const os: Sample[] = [];
        const ts: Sample[] = [];
        for (let r = 0; r < ROUNDS; r++) {
          if (typeof tool !== "string") cs.push(runOnce([tool.path, ...c.args, input.path, join(dir, "c.out")]));
          os.push(runOnce([bundled, ...ext, ...c.args, input.path, join(dir, "ours.out")]));
          if (!input.big) {
            const src = join(pkg, "src", "cli", "page-owner-sort.ts");
            ts.push(runOnce([process.execPath, "--import", "tsx", "--conditions=@mm/source", src, ...ext, ...c.args, input.path, join(dir, "tsx.out")]));
          }
        }
        if (typeof tool !== "string" && !readFileSync(join(dir, "c.out")).equals(readFileSync(join(dir, "ours.out")))) {
          throw new Error(`${input.name} ${c.label}: our output differs from the C tool's`);
        }
        const cw = cs.length === 0 ? null : secs(cs);
        const cm = mib(cs);
        const wr = ratio(secs(os), cw);
        const pr = ratio(mib(os), cm);
        const target = `wall ${verdict(wr, wallLimit)}, peak ${verdict(pr, peakLimit)}`;
        const x = (r: number | null): string => (r === null ? "-" : `${r.toFixed(2)}x`);
        console.log(
          `${input.name} | ${c.label} | ${f(cw)} | ${f(cm, 1)} | ${f(secs(os))} | ${f(mib(os), 1)} | ${x(wr)} | ${x(pr)} | ${target} | ${x(ratio(secs(floor), cw))} | ${x(ratio(mib(floor), cm))} | ${ts.length === 0 ? "-" : f(secs(ts))}`,
        );
      }
    }
    console.log(`load average ${loadavg()[0].toFixed(1)} at end`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
