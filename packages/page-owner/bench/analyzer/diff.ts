// The snapshot diff on large inputs: two generated page_owner dumps (64 MiB each by default, or
// PAGE_OWNER_DIFF_BENCH_BYTES) streamed from files, keyed by stack, and two show_handles reads of
// 200k stacks keyed by handle. Contenders run interleaved in one process, several rounds:
//   ours      SnapshotReader -> SnapshotDiff (typed-array counts per key slot)
//   baseline  the existing per-stack route: PageOwnerParser -> 2x StackAccumulator -> diffStacks
// Prints the median wall time of each, the ratio ours/baseline, MB/s, and the heap the returned
// changes retain (with --expose-gc).
//
//   pnpm --filter @mm/page-owner bench:diff
//   PAGE_OWNER_DIFF_BENCH_BYTES=268435456 pnpm --filter @mm/page-owner bench:diff

import { createWriteStream, statSync, unlinkSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { SnapshotDiff } from "../../src/analyzer/diff/snapshot-diff.js";
import { SnapshotReader } from "../../src/analyzer/diff/snapshot-reader.js";
import { generatePageOwnerDump } from "../../src/analyzer/generate.js";
import { PageOwnerParser } from "../../src/analyzer/record-parser.js";
import { openDump } from "../../src/analyzer/source.js";
import { diffStacks, StackAccumulator } from "../../src/analyzer/stacks.js";

const BYTES = Number(process.env.PAGE_OWNER_DIFF_BENCH_BYTES ?? 64 << 20);
const ROUNDS = Number(process.env.PAGE_OWNER_DIFF_BENCH_ROUNDS ?? 5);
const gc = (globalThis as { gc?: () => void }).gc;

async function writeDump(path: string, seed: number): Promise<void> {
  const out = createWriteStream(path);
  for (const chunk of generatePageOwnerDump({ seed, bytes: BYTES, stacks: 2000, era: "6.12" })) {
    if (!out.write(chunk)) await new Promise<void>((r) => out.once("drain", () => r()));
  }
  await new Promise<void>((r) => out.end(r));
}

async function stream(path: string, push: (c: Buffer) => void): Promise<void> {
  const src = openDump(path);
  for await (const c of src.chunks) push(c);
  await src.closed;
}

async function ours(a: string, b: string): Promise<unknown> {
  const d = new SnapshotDiff();
  for (const [side, p] of [[0, a], [1, b]] as const) {
    const r = new SnapshotReader(d, side, { strict: true });
    await stream(p, (c) => r.push(c));
    r.end();
  }
  return d.changes();
}

async function baseline(a: string, b: string): Promise<unknown> {
  const acc = [new StackAccumulator(), new StackAccumulator()];
  for (const [i, p] of [a, b].entries()) {
    const parser = new PageOwnerParser((r, t) => acc[i].addFramesText(t, r.order), { strict: true }, true);
    await stream(p, (c) => parser.push(c));
    parser.end();
  }
  return diffStacks(acc[0], acc[1]).changes;
}

function showHandles(n: number, seed: number): string {
  let x = seed;
  let s = "";
  for (let h = 1; h <= n; h++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    s += `handle: ${(h * 2654435761) | 0}\nnr_base_pages: ${1 + (x % 5000)}\n\n`;
  }
  return s;
}

function median(xs: number[]): number {
  const s = [...xs].sort((p, q) => p - q);
  return s[s.length >> 1];
}

function heldMiB(keep: unknown): number {
  gc?.();
  const used = process.memoryUsage().heapUsed;
  void keep;
  return used / 2 ** 20;
}

const a = join(tmpdir(), `po-diff-bench-${process.pid}-a.txt`);
const b = join(tmpdir(), `po-diff-bench-${process.pid}-b.txt`);
try {
  await writeDump(a, 1);
  await writeDump(b, 2);
  const mb = (statSync(a).size + statSync(b).size) / 1e6;
  console.log(`two dumps, ${mb.toFixed(1)} MB in all; ${ROUNDS} rounds interleaved; load ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  const t: Record<string, number[]> = { ours: [], baseline: [] };
  const held: Record<string, number> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, fn] of (round % 2 === 0 ? [["ours", ours], ["baseline", baseline]] : [["baseline", baseline], ["ours", ours]]) as [string, typeof ours][]) {
      gc?.();
      const base = gc === undefined ? 0 : heldMiB(null);
      const t0 = performance.now();
      const result = await fn(a, b);
      t[name].push(performance.now() - t0);
      if (gc !== undefined) held[name] = heldMiB(result) - base;
    }
  }
  for (const name of ["ours", "baseline"]) {
    const ms = median(t[name]);
    console.log(
      `  ${name.padEnd(8)} median ${ms.toFixed(0)} ms (range ${Math.min(...t[name]).toFixed(0)}-${Math.max(...t[name]).toFixed(0)}), ` +
        `${(mb / (ms / 1000)).toFixed(0)} MB/s${gc === undefined ? "" : `, heap retained by the result ${held[name].toFixed(1)} MiB`}`,
    );
  }
  console.log(`  ratio ours/baseline (wall): ${(median(t.ours) / median(t.baseline)).toFixed(2)}x`);

  const ha = showHandles(200_000, 1);
  const hb = showHandles(200_000, 2);
  const ht: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const t0 = performance.now();
    const d = new SnapshotDiff();
    for (const [side, text] of [[0, ha], [1, hb]] as const) {
      const r = new SnapshotReader(d, side, { by: "handle", strict: true });
      r.push(text);
      r.end();
    }
    d.changes();
    ht.push(performance.now() - t0);
  }
  const hmb = (ha.length + hb.length) / 1e6;
  console.log(`two show_handles reads of 200000 stacks (${hmb.toFixed(1)} MB): median ${median(ht).toFixed(0)} ms, ${(hmb / (median(ht) / 1000)).toFixed(0)} MB/s`);
} finally {
  for (const p of [a, b]) {
    try {
      unlinkSync(p);
    } catch {
      // not written
    }
  }
}
