/**
 * Output of the shrink sub-map (shrink.ts): two tables (the stale threshold; report calls, worker
 * CPU and isolation), the sentences comparing a stale threshold with a fresh one and a reserve
 * with a re-initialised list, and JSON lines with each cell's full configuration and intervals.
 */
import Table from "cli-table3";
import type { Interval } from "./map.js";
import type { ShrinkCell, ShrinkConfig, ShrinkPoint } from "./shrink.js";

function plainTable(head: string[]): Table.Table {
  return new Table({ head, colAligns: head.map((_, i) => (i < 2 ? "left" : "right")), style: { head: [], border: [], compact: true } });
}

const pct = (x: number): string => `${Math.round(100 * x)}`;
const ci = (i: Interval, d = 0): string => `${i.value.toFixed(d)} [${i.lo.toFixed(d)}-${i.hi.toFixed(d)}]`;
const same = (a: ShrinkPoint, b: ShrinkPoint): boolean => a.device === b.device && a.rampMiBps === b.rampMiBps;

function table(c: ShrinkConfig, points: readonly ShrinkPoint[], cells: readonly ShrinkCell[], cell: (x: ShrinkCell) => string): string {
  const t = plainTable(["device", "MiB/s", ...c.policies]);
  for (const p of points) {
    t.push([p.device, String(p.rampMiBps), ...c.policies.map((pol) => {
      const x = cells.find((y) => y.policy === pol && same(y.point, p));
      return x === undefined ? "-" : cell(x);
    })]);
  }
  return t.toString();
}

/** Mean of a cell metric over the cells of a policy, with its range across points. */
function across(cells: readonly ShrinkCell[], pol: string, f: (x: ShrinkCell) => number): { mean: number; lo: number; hi: number } | null {
  const xs = cells.filter((x) => x.policy === pol).map(f);
  if (xs.length === 0) return null;
  return { mean: xs.reduce((s, v) => s + v, 0) / xs.length, lo: Math.min(...xs), hi: Math.max(...xs) };
}

/** The findings in words. */
export function describeShrink(cells: readonly ShrinkCell[], policies: readonly string[]): string[] {
  const lines: string[] = [];
  const n = cells.length === 0 ? 0 : cells[0].runs.length;
  for (const pol of ["pang", "pang-reserve"]) {
    if (!policies.includes(pol)) continue;
    const mine = cells.filter((x) => x.policy === pol);
    const stale = mine.filter((x) => x.staleRuns > 0);
    const worst = mine.reduce((a, b) => (b.staleMiB.value > a.staleMiB.value ? b : a), mine[0]);
    lines.push(
      stale.length === 0
        ? `${pol}: its once-per-pass threshold was never stale here (0 of ${n} runs at each of ${mine.length} points).`
        : `${pol}: the threshold computed at the start of the pass was stale at ${stale.length} of ${mine.length} points ` +
            `(runs with a stale order: ${stale.map((x) => `${x.point.device} ${x.point.rampMiBps} MiB/s ${x.staleRuns}/${n}`).join(", ")}); ` +
            `a batch could take up to ${worst.staleMiB.value.toFixed(1)} MiB per run (mean, ${worst.point.device} ${worst.point.rampMiBps} MiB/s) beyond Pang's own rule on the free memory of that moment.`,
    );
  }
  if (policies.includes("pang-per-order")) lines.push("pang-per-order recomputes the threshold at every order, so it is never stale (0 by construction; the table checks it).");
  const pairs: [string, string][] = [
    ["pang", "pang-reserve"],
    ["shift", "shift-reserve"],
  ];
  for (const [re, res] of pairs) {
    if (!policies.includes(re) || !policies.includes(res)) continue;
    const f = (g: (x: ShrinkCell) => number): string => {
      const a = across(cells, re, g);
      const b = across(cells, res, g);
      if (a === null || b === null) return "-";
      return `${a.mean.toFixed(1)} (${a.lo.toFixed(1)}..${a.hi.toFixed(1)}) vs ${b.mean.toFixed(1)} (${b.lo.toFixed(1)}..${b.hi.toFixed(1)})`;
    };
    lines.push(
      `re-initialised list vs reserve (${re} vs ${res}, mean per run over the points, range across points): report calls ${f((x) => x.reportCalls.value)}, ` +
        `of them flushes ${f((x) => x.flushReports.value)}, sg entries written ${f((x) => x.sgInitEntries.value)}, worker CPU us ${f((x) => x.workerCpuUs.value)}, ` +
        `peak isolated MiB ${f((x) => x.peakIsolatedMiB.value)}, lowest headroom above low MiB ${f((x) => x.minHeadroomMiB.value)}.`,
    );
  }
  const oom = cells.filter((x) => x.oomRuns > 0);
  const where = (x: ShrinkCell): string => `${x.point.device} ${x.point.rampMiBps} MiB/s`;
  const pOom = (x: ShrinkCell): string => `P(OOM) ${pct(x.pOom.value)} % [${pct(x.pOom.lo)}-${pct(x.pOom.hi)}]`;
  if (oom.length === 0) lines.push("no OOM kill in this sub-map.");
  else lines.push(`OOM kills at: ${oom.map((x) => `${x.policy} ${where(x)} ${pOom(x)}`).join("; ")}.`);
  const fixedOom = oom.filter((x) => x.policy === "fixed");
  if (fixedOom.length > 0)
    for (const pol of policies) {
      if (pol === "fixed") continue;
      const at = fixedOom.map((f) => cells.find((x) => x.policy === pol && same(x.point, f.point))).filter((x): x is ShrinkCell => x !== undefined);
      const failing = at.filter((x) => x.oomRuns > 0);
      lines.push(`  where fixed OOMs, ${pol.padEnd(15)} ${failing.length === 0 ? `holds (${at.map((x) => `${where(x)} ${pOom(x)}`).join("; ")})` : `OOMs too: ${failing.map((x) => `${where(x)} ${pOom(x)}`).join("; ")}`}`);
    }
  return lines;
}

/** The sub-map for a person. */
export function formatShrinkTable(c: ShrinkConfig, cells: readonly ShrinkCell[], wallMs?: number): string {
  const points: ShrinkPoint[] = [];
  for (const x of cells) if (!points.some((p) => same(p, x.point))) points.push(x.point);
  const b = c.base;
  const out = [
    `reporting-ab --map shrink: free memory shrinks during a pass. The new instance starts faulting at ${b.startDelayRatio} x PAGE_REPORTING_DELAY (as the worker wakes) at the rate shown; ${b.guestMiB} MiB guest, ${b.freedMiB} MiB freed; ${c.seeds} seeds per cell (${c.firstSeed}..${c.firstSeed + c.seeds - 1}).`,
    "",
    `stale threshold: "P(a stale order) % [Wilson 95 %] MiB" — runs in which an order got more capacity than Pang's rule gives on the free memory at that order's start, and the MiB (mean) those extra blocks could take:`,
    table(c, points, cells, (x) => `${pct(x.pStale.value)} [${pct(x.pStale.lo)}-${pct(x.pStale.hi)}] ${x.staleMiB.value.toFixed(1)}`),
    "",
    `cost and isolation: "report calls [95 %] / worker CPU us / peak isolated MiB / lowest headroom above low MiB" (means):`,
    table(c, points, cells, (x) => `${ci(x.reportCalls)} / ${x.workerCpuUs.value.toFixed(0)} / ${x.peakIsolatedMiB.value.toFixed(0)} / ${x.minHeadroomMiB.value.toFixed(0)}`),
    "",
    ...describeShrink(cells, c.policies),
  ];
  const runs = cells.reduce((s, x) => s + x.runs.length, 0);
  if (wallMs !== undefined) out.push(`${runs} runs in ${(wallMs / 1000).toFixed(1)} s (${(runs / (wallMs / 1000)).toFixed(1)} runs/s)`);
  return `${out.join("\n")}\n`;
}

/** One JSON object per cell: full configuration, OOM kills and every interval. */
export function formatShrinkJson(cells: readonly ShrinkCell[]): string {
  let s = "";
  for (const x of cells) {
    const { runs: _runs, ...rest } = x;
    s += `${JSON.stringify({ map: "shrink", ...rest })}\n`;
  }
  return s;
}
