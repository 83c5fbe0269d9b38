/**
 * A trace replay (`mm-lab replay`, @mm/trace) as report data: two "policies" — the pfns the
 * kernel chose (the replay) and the pfns @mm/buddy chose for the same requests (the what-if) —
 * with their end-of-trace fragmentation as headline bars, fragmentation over trace time as
 * series, and the top stacks' live pages over time. One trace is one run: no intervals.
 */
import type { ReplayResult } from "@mm/trace";
import type { JsonValue, ReportData, SeriesLine, SeriesSpec } from "./data.js";

const KERNEL = "kernel's choices";
const MODEL = "model's choices";

type Sample = ReplayResult["series"]["real"][number];

/** Index of the zone with the most managed pages (the one fragmentation matters in). */
function mainZone(r: ReplayResult): number {
  let best = 0;
  r.machine.zones.forEach((z, i) => {
    if (z.managed > (r.machine.zones[best]?.managed ?? 0)) best = i;
  });
  return best;
}

function lines(samples: readonly Sample[], policy: string, t0: number, zone: number): SeriesLine[] {
  const t = samples.map((s) => Math.round((s.tsNs - t0) / 1e6));
  return [
    { series: "freePages", policy, seed: 0, t, y: samples.map((s) => s.freePages) },
    { series: "freeHuge", policy, seed: 0, t, y: samples.map((s) => s.freeHugePercent) },
    { series: "unusable9", policy, seed: 0, t, y: samples.map((s) => (s.zones[zone]?.unusableIndex[9] ?? 0) / 1000) },
    { series: "mixed", policy, seed: 0, t, y: samples.map((s) => s.mixedPageblocks) },
  ];
}

export function replayReportData(r: ReplayResult, source: string, config: JsonValue, prov: { version: string; revision: string | null }): ReportData {
  const zone = mainZone(r);
  const zoneName = r.machine.zones[zone]?.name ?? "?";
  const t0 = r.scan.firstNs;
  const policies = r.series.model === null ? [KERNEL] : [KERNEL, MODEL];
  const end = (s: readonly Sample[] | null) => (s === null ? undefined : s[s.length - 1]);
  const cells = policies.map((policy) => {
    const last = end(policy === KERNEL ? r.series.real : r.series.model);
    const v = (x: number) => ({ value: x, lo: null, hi: null });
    return {
      policy,
      params: {},
      seeds: 1,
      metrics: last === undefined ? {} : { freeHuge: v(last.freeHugePercent), unusable9: v((last.zones[zone]?.unusableIndex[9] ?? 0) / 1000), mixed: v(last.mixedPageblocks) },
    };
  });
  const seriesSpecs: SeriesSpec[] = [
    { key: "freePages", label: "free pages", unit: "pages" },
    { key: "freeHuge", label: "free-huge (LLFree)", unit: "%" },
    { key: "unusable9", label: `unusable index, order 9, ${zoneName}`, unit: "" },
    { key: "mixed", label: "mixed pageblocks", unit: "" },
  ];
  const series: SeriesLine[] = [...lines(r.series.real, KERNEL, t0, zone), ...(r.series.model === null ? [] : lines(r.series.model, MODEL, t0, zone))];
  const t = r.series.real.map((s) => Math.round((s.tsNs - t0) / 1e6));
  r.stacks.byPeakLive.slice(0, 5).forEach((s, i) => {
    const key = `stack${i + 1}`;
    const site = s.frames.slice(0, 4).join(" <- ") || "(no stack)";
    seriesSpecs.push({ key, label: `live pages, stack ${i + 1}: ${site}`, unit: "pages" });
    series.push({ series: key, policy: KERNEL, seed: 0, t, y: s.liveSeries.slice(0, t.length) });
  });
  const c = r.counters;
  return {
    experiment: "replay",
    title: `Trace replay: ${source}`,
    summary:
      `${c.events} events (${r.trace.format}, ${r.trace.lostEvents} lost) over ${((r.scan.lastNs - r.scan.firstNs) / 1e9).toFixed(2)} s: ` +
      `${c.allocs} allocations and ${c.frees} frees placed at the kernel's pfns, ${c.preexisting} blocks predating the trace, ` +
      `${c.unmatchedFrees} unmatched frees (pages taken by paths with no event), ${r.stacks.distinct} distinct stacks. ` +
      `Pages the trace never touches start free, so free memory is an upper bound. One trace is one run: no intervals.`,
    provenance: { version: prov.version, revision: prov.revision ?? "unknown", seeds: "none (a trace)", config },
    policies,
    axes: [],
    metrics: [
      { key: "freeHuge", label: "free-huge at the end", unit: "%", digits: 1, description: "LLFree's measure: entirely free 2 MiB frames over free pages / 512." },
      { key: "unusable9", label: `unusable index o9 (${zoneName})`, unit: "", digits: 3, description: "mm/vmstat.c unusable_free_index at order 9 in the largest zone, at the end of the trace." },
      { key: "mixed", label: "mixed pageblocks at the end", unit: "", digits: 0, description: "Pageblocks whose allocations (by gfp) hold more than one migratetype." },
    ],
    headline: ["freeHuge", "unusable9", "mixed"],
    heatmap: null,
    tradeoff: null,
    cells,
    seriesSpecs,
    series,
  };
}
