/**
 * Output of the reporting map: the terminal tables, the sentences stating where `fixed` OOMs and
 * whether each fix holds there, JSON lines (one per cell, full configuration included) and the
 * named time series. Pure functions of the results, so equal runs print equal bytes.
 */
import Table from "cli-table3";
import { PAGE_REPORTING_DELAY_NS } from "@mm/page-reporting";
import { deviceOf, type ScenarioConfig } from "./scenario.js";
import type { MapCell, MapConfig, MapPoint } from "./map.js";

/** No colours, so a TTY and a pipe get the same bytes. */
function plainTable(head: string[]): Table.Table {
  return new Table({ head, colAligns: head.map((_, i) => (i === 0 ? "left" : "right")), style: { head: [], border: [], compact: true } });
}

function pct(x: number): string {
  return `${Math.round(100 * x)}`;
}

/** "P(OOM) 0 [0-37]" in percent. */
function pOomText(c: MapCell): string {
  return `${pct(c.pOom.value)} [${pct(c.pOom.lo)}-${pct(c.pOom.hi)}]`;
}

function pointText(p: MapPoint): string {
  return `${p.guestMiB} MiB guest, ${p.freedMiB} MiB freed, start ${p.startDelayRatio} x DELAY, ${p.device}`;
}

/** The knobs that are not swept, one line. */
export function describeBase(b: ScenarioConfig): string {
  return (
    `kernel ${b.kernelPct} %, daemons ${b.daemonsPct} %, files ${b.filesPct} %, cold cache ${b.cachePct} %, a resident app takes the rest; ` +
    `the service madvises ${b.madvisedPct} % of its VMA, faults at ${b.rampMiBps[0]}-${b.rampMiBps[1]} MiB/s, its successor needs +-${b.growthPct} %; ` +
    `background reads ${b.backgroundMiBps} MiB/s; THP ${b.thp}; page_reporting_order ${b.reportingOrder < 0 ? "9 (pageblock)" : b.reportingOrder}`
  );
}

function samePoint(a: MapPoint, p: MapPoint): boolean {
  return a.guestMiB === p.guestMiB && a.freedMiB === p.freedMiB && a.startDelayRatio === p.startDelayRatio && a.device === p.device;
}

function cellsAt(cells: readonly MapCell[], p: MapPoint): MapCell[] {
  return cells.filter((c) => samePoint(c.point, p));
}

/** The points of the cells, first-seen order. */
function uniquePoints(cells: readonly MapCell[]): MapPoint[] {
  const out: MapPoint[] = [];
  for (const c of cells) if (!out.some((p) => samePoint(p, c.point))) out.push(c.point);
  return out;
}

/** One table: a row per point, per policy "P(OOM) % [95 % interval]" and host MiB returned. */
function pointTable(title: string, policies: readonly string[], points: readonly MapPoint[], cells: readonly MapCell[], label: (p: MapPoint) => string[], labelHead: string[]): string {
  const t = plainTable([...labelHead, ...policies]);
  for (const p of points) {
    const at = cellsAt(cells, p);
    t.push([...label(p), ...policies.map((pol) => {
      const c = at.find((x) => x.policy === pol);
      return c === undefined ? "-" : `${pOomText(c)} ${c.hostReturnedAvgMiB.value.toFixed(0)}`;
    })]);
  }
  return `${title}\n${t.toString()}\n`;
}

/**
 * The sentences: where `fixed` OOMs, and for each other policy whether it holds (P(OOM) = 0) at
 * those points; if `fixed` never OOMs, say so with the largest upper bound and what it costs
 * instead (isolation, direct reclaim).
 */
export function describeFindings(cells: readonly MapCell[], policies: readonly string[]): string[] {
  const lines: string[] = [];
  const fixed = cells.filter((c) => c.policy === "fixed");
  if (fixed.length === 0) return ["(fixed is not in this map)"];
  const oomAt = fixed.filter((c) => c.oomRuns > 0);
  const n = fixed[0].runs.length;
  if (oomAt.length === 0) {
    const hi = Math.max(...fixed.map((c) => c.pOom.hi));
    lines.push(`fixed does not OOM anywhere in this map: 0 of ${n} runs in each of ${fixed.length} cells (95 % upper bound ${pct(hi)} % per cell).`);
  } else {
    lines.push(`fixed OOMs at ${oomAt.length} of ${fixed.length} points:`);
    for (const c of oomAt) lines.push(`  ${pointText(c.point)}: P(OOM) ${pOomText(c)} %`);
  }
  for (const pol of policies) {
    if (pol === "fixed") continue;
    const mine = cells.filter((c) => c.policy === pol);
    if (oomAt.length > 0) {
      const at = oomAt.map((f) => mine.find((c) => samePoint(c.point, f.point))).filter((c): c is MapCell => c !== undefined);
      const failing = at.filter((c) => c.oomRuns > 0);
      lines.push(
        `  ${pol.padEnd(15)} ${failing.length === 0 ? `holds there (0 OOM runs at all ${at.length} points)` : `OOMs at ${failing.length} of them: ${failing.map((c) => `${pointText(c.point)} ${pOomText(c)} %`).join("; ")}`}`,
      );
    }
    const elsewhere = mine.filter((c) => c.oomRuns > 0 && !oomAt.some((f) => samePoint(c.point, f.point)));
    if (elsewhere.length > 0) lines.push(`  ${pol.padEnd(15)} OOMs where fixed does not: ${elsewhere.map((c) => pointText(c.point)).join("; ")}`);
  }
  const big = fixed.filter((c) => c.peakIsolatedMiB > 64);
  if (big.length > 0) {
    const worst = big.reduce((a, b) => (b.peakIsolatedMiB > a.peakIsolatedMiB ? b : a));
    lines.push(
      `fixed isolates more than the fixes' 64 MiB cap at ${big.length} points (at most ${worst.peakIsolatedMiB.toFixed(0)} MiB at ${pointText(worst.point)}); ` +
        `direct-reclaim stall there ${worst.reclaimStallMs.value.toFixed(2)} ms, page cache refaults ${worst.cacheRefaults.value.toFixed(0)} per run.`,
    );
  }
  const unreported = cells.filter((c) => c.policy === "fixed" && c.freedReportablePct.value < 1);
  if (unreported.length > 0)
    lines.push(
      `at ${unreported.map((c) => pointText(c.point)).join("; ")} under 1 % of the freed memory was in free blocks of order >= 9 right after the exit: nothing to report, so nothing to isolate.`,
    );
  return lines;
}

/** The whole map for a person. */
export function formatMapTable(c: MapConfig, cells: readonly MapCell[], wallMs?: number): string {
  const b = c.base;
  const delayS = PAGE_REPORTING_DELAY_NS / 1e9;
  const last = c.firstSeed + c.seeds - 1;
  const head = [
    `reporting-ab: each cell is "P(OOM) % [Wilson 95 %] host-MiB-returned" (mean over the window from the exit); ${c.seeds} seeds per cell (${c.firstSeed}..${last})`,
    `fixed knobs: ${describeBase(b)}`,
    `devices: ${c.axes.device.map((d) => { const m = deviceOf(d); return `${d} ${m.perRequestNs / 1000} us/report + ${m.perMiBNs / 1000} us/MiB, refault ${m.refaultNsPerPage} ns/page (${m.source})`; }).join("; ")}`,
    "",
  ];
  const points = uniquePoints(cells);
  let body = "";
  if (c.layout === "slices") {
    const a = points.filter((p) => p.guestMiB === b.guestMiB && p.freedMiB === b.freedMiB);
    const g = points
      .filter((p) => p.startDelayRatio === b.startDelayRatio && p.device === b.device)
      .sort((x, y) => x.guestMiB - y.guestMiB || x.freedMiB - y.freedMiB);
    body += pointTable(
      `start delay (x PAGE_REPORTING_DELAY = ${delayS} s) x device, at ${b.guestMiB} MiB guest, ${b.freedMiB} MiB freed:`,
      c.policies, a, cells, (p) => [String(p.startDelayRatio), p.device], ["delay", "device"],
    );
    body += "\n";
    body += pointTable(
      `guest size x freed size, at start ${b.startDelayRatio} x DELAY, ${b.device}:`,
      c.policies, g, cells, (p) => [String(p.guestMiB), String(p.freedMiB)], ["guest MiB", "freed MiB"],
    );
  } else {
    body += pointTable("every point:", c.policies, points, cells, (p) => [String(p.guestMiB), String(p.freedMiB), String(p.startDelayRatio), p.device], ["guest", "freed", "delay", "device"]);
  }
  const words = describeFindings(cells, c.policies);
  const runs = cells.reduce((s, x) => s + x.runs.length, 0);
  const tail = wallMs === undefined ? [] : [`${runs} runs in ${(wallMs / 1000).toFixed(1)} s (${(runs / (wallMs / 1000)).toFixed(1)} runs/s)`];
  return `${head.join("\n")}\n${body}\n${words.join("\n")}\n${tail.length > 0 ? `${tail.join("\n")}\n` : ""}`;
}

/** The map as JSON lines: one object per (policy, point) with its full configuration. */
export function formatMapJson(cells: readonly MapCell[]): string {
  let out = "";
  for (const c of cells) {
    out += `${JSON.stringify({
      policy: c.policy,
      point: c.point,
      config: c.config,
      seeds: c.seeds,
      oomRuns: c.oomRuns,
      oomKills: c.oomKills,
      serviceKilledRuns: c.serviceKilledRuns,
      pOom: c.pOom,
      hostReturnedAvgMiB: c.hostReturnedAvgMiB,
      belowMinMs: c.belowMinMs,
      reclaimStallMs: c.reclaimStallMs,
      cacheRefaults: c.cacheRefaults,
      hostRefaultMiB: c.hostRefaultMiB,
      reportCalls: c.reportCalls,
      freedReportablePct: c.freedReportablePct,
      peakIsolatedMiB: c.peakIsolatedMiB,
    })}\n`;
  }
  return out;
}
