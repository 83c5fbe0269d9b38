// Whole-process wall time and peak RSS of our page_owner_sort against the kernel's own C tool
// (built by scripts/build-kernel-tools.sh), on the real 9.5 MB capture and, with
// PAGE_OWNER_BENCH_1G=1, on ~1 GiB made of copies of it (written to a temp dir, deleted after).
// Median of 5 runs, C and ours interleaved in each round so load drifts hit both alike.
//
// "ours" is what a user runs: the CLI bundled by esbuild into one file (no module resolution at
// start-up), and the same CLI run from source through tsx as the unbundled baseline.
//
//   pnpm --filter @mm/page-owner bench:kernel

import { spawnSync } from "node:child_process";
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { build } from "esbuild";
import { findKernelTool } from "../../test/analyzer/differential/kernel-tools.js";

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, "..", "..");
const FIXTURE = join(pkg, "..", "..", "fixtures", "kernel-6.1-256M", "page_owner.txt.gz");
const ROUNDS = 5;
const TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;

interface Sample {
  s: number;
  kib: number | null;
}

function runOnce(cmd: string[], out: string): Sample {
  const argv = TIME === null ? cmd : [TIME, "-f", "%e %M", ...cmd];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], [...argv.slice(1), out], { encoding: "latin1", maxBuffer: 64 << 20 });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd.join(" ")} failed (${r.status}): ${r.stderr.slice(-400)}`);
  const kib = TIME === null ? null : Number(r.stderr.trim().split("\n").pop()!.split(" ")[1]);
  return { s, kib };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

async function bundle(dir: string): Promise<string> {
  const file = join(dir, "page-owner-sort.mjs");
  await build({
    entryPoints: [join(pkg, "src", "cli", "page-owner-sort.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    conditions: ["@mm/source"],
    outfile: file,
    logLevel: "error",
  });
  return file;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "page-owner-vs-kernel-"));
  try {
    const small = join(dir, "page_owner.txt");
    const raw = gunzipSync(readFileSync(FIXTURE));
    writeFileSync(small, raw);
    const inputs: { name: string; path: string }[] = [{ name: "9.5 MB capture", path: small }];
    if (process.env.PAGE_OWNER_BENCH_1G === "1") {
      const big = join(dir, "page_owner-1g.txt");
      const ws = createWriteStream(big);
      const copies = Math.ceil((1 << 30) / raw.length);
      for (let i = 0; i < copies; i++) if (!ws.write(raw)) await new Promise<void>((r) => ws.once("drain", () => r()));
      await new Promise<void>((r) => ws.end(() => r()));
      inputs.push({ name: `${((copies * raw.length) / 2 ** 30).toFixed(2)} GiB (${copies} copies)`, path: big });
    }
    const bundled = await bundle(dir);
    const tools = { "6.1": findKernelTool("6.1"), "6.12": findKernelTool("6.12") };
    for (const t of Object.values(tools)) if (typeof t === "string") console.log(`no C baseline: ${t}`);
    const configs: { label: string; era: "6.1" | "6.12"; args: string[] }[] = [
      { label: "default", era: "6.12", args: [] },
      { label: "--cull=stacktrace", era: "6.12", args: ["--cull=stacktrace"] },
      { label: "-a", era: "6.12", args: ["-a"] },
      { label: "--compat=6.1 (default)", era: "6.1", args: [] },
    ];
    console.log(`whole process, median of ${ROUNDS}, interleaved; peak RSS from ${TIME ?? "(no /usr/bin/time: not measured)"}`);
    console.log("input | options | C s | C MiB | ours s | ours MiB | wall ratio | peak ratio | tsx (unbundled) s");
    for (const input of inputs) {
      for (const c of configs) {
        const tool = tools[c.era];
        const ext = c.era === "6.1" ? ["--compat=6.1"] : [];
        const ours = [process.execPath, bundled, ...ext, ...c.args, input.path];
        const tsx = [process.execPath, "--import", "tsx", "--conditions=@mm/source", join(pkg, "src", "cli", "page-owner-sort.ts"), ...ext, ...c.args, input.path];
        const cs: Sample[] = [];
        const os: Sample[] = [];
        const ts: Sample[] = [];
        for (let r = 0; r < ROUNDS; r++) {
          if (typeof tool !== "string") cs.push(runOnce([tool.path, ...c.args, input.path], join(dir, "c.out")));
          os.push(runOnce(ours, join(dir, "ours.out")));
          ts.push(runOnce(tsx, join(dir, "tsx.out")));
        }
        const mib = (xs: Sample[]): number | null => (xs.length === 0 || xs[0].kib === null ? null : median(xs.map((x) => x.kib!)) / 1024);
        const cw = cs.length === 0 ? null : median(cs.map((x) => x.s));
        const ow = median(os.map((x) => x.s));
        const cm = mib(cs);
        const om = mib(os);
        const f = (x: number | null, d = 3): string => (x === null ? "-" : x.toFixed(d));
        console.log(
          `${input.name} | ${c.label} | ${f(cw)} | ${f(cm, 1)} | ${f(ow)} | ${f(om, 1)} | ${cw === null ? "-" : `${(ow / cw).toFixed(2)}x`} | ${cm === null || om === null ? "-" : `${(om / cm).toFixed(2)}x`} | ${f(median(ts.map((x) => x.s)))}`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
