/**
 * A time series per policy: one chart per named series (guest free, isolated, host resident...),
 * one line per policy, from the lowest seed that policy has (named in the caption).
 */
import type { LineSeriesOption } from "echarts/charts";
import type { SeriesLine, SeriesSpec } from "./data.js";
import { type Chart, slug, TEXT, WIDE } from "./chart.js";
import { policyColor } from "./format.js";
import { renderSvg } from "./svg.js";

/** The line each policy shows for `spec`: its lowest seed's. */
export function shownLines(spec: SeriesSpec, policies: readonly string[], lines: readonly SeriesLine[]): SeriesLine[] {
  const out: SeriesLine[] = [];
  for (const policy of policies) {
    let best: SeriesLine | undefined;
    for (const l of lines) if (l.series === spec.key && l.policy === policy && (best === undefined || l.seed < best.seed)) best = l;
    if (best !== undefined) out.push(best);
  }
  return out;
}

/** The chart of one series, or null if no policy has it. */
export function seriesChart(spec: SeriesSpec, policies: readonly string[], lines: readonly SeriesLine[]): Chart | null {
  const shown = shownLines(spec, policies, lines);
  if (shown.length === 0) return null;
  const series: LineSeriesOption[] = shown.map((l) => ({
    type: "line",
    name: l.policy,
    showSymbol: false,
    step: "end",
    lineStyle: { width: 1.5, color: policyColor(policies.indexOf(l.policy)) },
    itemStyle: { color: policyColor(policies.indexOf(l.policy)) },
    data: l.t.map((t, i) => [t / 1000, l.y[i] ?? 0]),
    emphasis: { disabled: true },
  }));
  const id = `series-${slug(spec.key)}`;
  const svg = renderSvg(
    {
      textStyle: TEXT,
      grid: { left: 70, right: 20, top: 30, bottom: 75 },
      // Below the axis title: at the top it would cover the y-axis name.
      legend: { bottom: 0, itemGap: 24, data: shown.map((l) => l.policy) },
      xAxis: { type: "value", name: "simulated time (s)", nameLocation: "middle", nameGap: 28 },
      yAxis: { type: "value", name: spec.unit === "" ? spec.label : `${spec.label} (${spec.unit})`, nameTextStyle: { align: "left" } },
      series,
    },
    WIDE.width,
    WIDE.height,
    id,
  );
  const seeds = [...new Set(shown.map((l) => l.seed))];
  return {
    kind: "series",
    id,
    title: `${spec.label} over time`,
    caption: `One line per policy, seed ${seeds.join(", ")}.`,
    points: shown.length,
    svg,
  };
}
