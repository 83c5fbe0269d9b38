/**
 * A metric per policy: one bar per policy, labelled with its value, and the interval as a whisker.
 * Used for a plain A/B (one cell per policy).
 */
import type { Cell, MetricSpec } from "./data.js";
import { type Chart, slug, TEXT, WIDE } from "./chart.js";
import { fmt, metricTitle, policyColor } from "./format.js";
import { renderSvg } from "./svg.js";
import { verticalWhiskers, type Whisker } from "./whiskers.js";

/** Bars of `metric` over `cells` (one per policy, in `policies` order; policies without the metric are left out). */
export function barsChart(metric: MetricSpec, policies: readonly string[], cells: readonly Cell[]): Chart {
  const shown: { policy: string; color: string; cell: Cell }[] = [];
  policies.forEach((policy, i) => {
    const cell = cells.find((c) => c.policy === policy && metric.key in c.metrics);
    if (cell !== undefined) shown.push({ policy, color: policyColor(i), cell });
  });
  const whiskers: Whisker[] = [];
  shown.forEach((s, i) => {
    const e = s.cell.metrics[metric.key];
    if (e !== undefined && e.lo !== null && e.hi !== null) whiskers.push({ at: i, lo: e.lo, hi: e.hi });
  });
  const svg = renderSvg(
    {
      textStyle: TEXT,
      grid: { left: 70, right: 20, top: 30, bottom: 40 },
      xAxis: { type: "category", data: shown.map((s) => s.policy), axisLabel: { interval: 0 } },
      yAxis: { type: "value", name: metricTitle(metric), nameTextStyle: { align: "left" } },
      series: [
        {
          type: "bar",
          name: metric.label,
          barMaxWidth: 60,
          data: shown.map((s) => ({ value: s.cell.metrics[metric.key]?.value ?? 0, itemStyle: { color: s.color } })),
          // Beside the bar, not on it: a zero-height bar still shows its number, and the whisker never covers it.
          label: { show: true, position: "right", color: "#222", formatter: (p) => fmt(Number(p.value), metric.digits) },
          emphasis: { disabled: true },
        },
        verticalWhiskers(`${metric.label} interval`, whiskers, "#222"),
      ],
    },
    WIDE.width,
    WIDE.height,
    `bars-${slug(metric.key)}`,
  );
  return {
    kind: "bars",
    id: `bars-${slug(metric.key)}`,
    title: `${metric.label} per policy`,
    caption: `${metric.description}${whiskers.length > 0 ? " Whiskers: the interval." : ""}`,
    points: shown.length,
    svg,
  };
}
