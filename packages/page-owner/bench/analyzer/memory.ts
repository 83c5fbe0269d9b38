// MB/s and peak memory of the analyzer against the naive baselines, each run in its own process
// (peak RSS is per process): on the real 9.5 MB capture, and on a generated 1 GiB dump when
// PAGE_OWNER_BENCH_1G=1 (or PAGE_OWNER_BENCH_BYTES=<n> for another size).
//
//   pnpm --filter @mm/page-owner bench:analyzer          (fixture only)
//   PAGE_OWNER_BENCH_1G=1 pnpm --filter @mm/page-owner bench:analyzer

import { spawnSync } from "node:child_process";
import { createWriteStream, existsSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { generatePageOwnerDump } from "../../src/analyzer/generate.js";

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, "..", "..");
const FIXTURE = join(pkg, "..", "..", "fixtures", "kernel-6.1-256M", "page_owner.txt.gz");

/** One measurement from worker.ts. */
interface Sample {
  impl: string;
  code: number;
  ms: number;
  bytes: number;
  maxRssKiB: number;
}

function measure(impl: string, input: string): Sample {
  const out = join(tmpdir(), `page-owner-bench-${process.pid}-${impl}.out`);
  const r = spawnSync(process.execPath, ["--import", "tsx", "--conditions=@mm/source", join(here, "worker.ts"), impl, input, out], {
    cwd: pkg,
    encoding: "utf8",
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`${impl} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as Sample;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** The fixture, decompressed to a temp file once. */
function fixtureFile(): string {
  const p = join(tmpdir(), "page-owner-bench-fixture.txt");
  if (!existsSync(p)) writeFileSync(p, gunzipSync(readFileSync(FIXTURE)));
  return p;
}

/** A generated dump of `bytes`, cached in the temp dir (seed 1, 6.12 format, 2,000 stacks). */
async function generatedFile(bytes: number): Promise<string> {
  const p = join(tmpdir(), `page-owner-bench-gen-${bytes}.txt`);
  if (existsSync(p) && statSync(p).size >= bytes) return p;
  const tmp = `${p}.part`;
  const ws = createWriteStream(tmp);
  for (const chunk of generatePageOwnerDump({ seed: 1, era: "6.12", bytes, stacks: 2000, chunkSize: 4 << 20 })) {
    if (!ws.write(chunk)) await new Promise<void>((r) => ws.once("drain", () => r()));
  }
  await new Promise<void>((r, j) => ws.end((e?: Error | null) => (e ? j(e) : r())));
  renameSync(tmp, p);
  return p;
}

/** Runs every pair on `input` (`repeat` times each, medians) and returns table rows. */
function benchInput(label: string, input: string, repeat: number): string[] {
  const rows: string[] = [];
  for (const [task, naive, ours] of [
    ["page_owner_sort (6.12 default)", "naive-sort", "sort"],
    ["per-stack summary (--stacks)", "naive-stacks", "stacks"],
  ] as const) {
    const res: Record<string, { ms: number; rss: number; bytes: number }> = {};
    for (const impl of [naive, ours]) {
      const samples: Sample[] = [];
      for (let i = 0; i < repeat; i++) samples.push(measure(impl, input));
      res[impl] = { ms: median(samples.map((s) => s.ms)), rss: median(samples.map((s) => s.maxRssKiB)), bytes: samples[0].bytes };
    }
    const mbs = (impl: string): number => res[impl].bytes / 1e6 / (res[impl].ms / 1000);
    const mib = (impl: string): number => res[impl].rss / 1024;
    for (const impl of [naive, ours]) {
      rows.push(
        `| ${label} | ${task} | ${impl === naive ? "naive split+Map (baseline)" : "@mm/page-owner"} | ${mbs(impl).toFixed(1)} | ${mib(impl).toFixed(0)} | ${(mbs(impl) / mbs(naive)).toFixed(2)}x | ${(mib(impl) / mib(naive)).toFixed(2)}x |`,
      );
    }
  }
  return rows;
}

/** Runs the memory/throughput benchmark and returns a Markdown table. */
export async function runMemoryBench(): Promise<string> {
  const rows = [
    "| input | task | implementation | MB/s | peak RSS MiB | speed vs naive | memory vs naive |",
    "| --- | --- | --- | ---: | ---: | ---: | ---: |",
  ];
  rows.push(...benchInput("real 6.1 capture, 9.5 MB", fixtureFile(), 3));
  const big = process.env.PAGE_OWNER_BENCH_BYTES ?? (process.env.PAGE_OWNER_BENCH_1G === "1" ? String(1 << 30) : "");
  if (big !== "") {
    const bytes = Number(big);
    rows.push(...benchInput(`generated, ${(bytes / (1 << 20)).toFixed(0)} MiB`, await generatedFile(bytes), 1));
  }
  return rows.join("\n");
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
  console.log(await runMemoryBench());
}
