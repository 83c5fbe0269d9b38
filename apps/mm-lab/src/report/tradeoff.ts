/**
 * The trade-off: one point per cell, x and y two metrics (for reporting-ab: host memory returned
 * against OOM risk), whiskers on both axes, one colour per policy.
 */
import type { ScatterSeriesOption } from "echarts/charts";
import type { Cell, MetricSpec } from "./data.js";
import { type Chart, slug, TEXT, WIDE } from "./chart.js";
import { metricTitle, policyColor } from "./format.js";
import { type ChartOption, renderSvg } from "./svg.js";
import { horizontalWhiskers, verticalWhiskers, type Whisker } from "./whiskers.js";

/** The scatter of `y` against `x` over every cell that has both. */
export function tradeoffChart(x: MetricSpec, y: MetricSpec, policies: readonly string[], cells: readonly Cell[]): Chart {
  const series: NonNullable<ChartOption["series"]> = [];
  let points = 0;
  // A plain A/B has one point per policy: name it on the chart. A sweep has many: the legend names them.
  const labelPoints = cells.length <= policies.length;
  policies.forEach((policy, i) => {
    const color = policyColor(i);
    const mine = cells.filter((c) => c.policy === policy && x.key in c.metrics && y.key in c.metrics);
    if (mine.length === 0) return;
    points += mine.length;
    const vx: Whisker[] = [];
    const hx: Whisker[] = [];
    const data: [number, number][] = [];
    for (const c of mine) {
      const ex = c.metrics[x.key];
      const ey = c.metrics[y.key];
      if (ex === undefined || ey === undefined) continue;
      data.push([ex.value, ey.value]);
      if (ey.lo !== null && ey.hi !== null) vx.push({ at: ex.value, lo: ey.lo, hi: ey.hi });
      if (ex.lo !== null && ex.hi !== null) hx.push({ at: ey.value, lo: ex.lo, hi: ex.hi });
    }
    const scatter: ScatterSeriesOption = {
      type: "scatter",
      name: policy,
      data,
      symbolSize: 10,
      itemStyle: { color },
      label: { show: labelPoints, position: "right", formatter: policy, color: "#222" },
      // Policies with equal results land on one point: print one name, the legend has the rest.
      labelLayout: { hideOverlap: true },
      emphasis: { disabled: true },
    };
    series.push(scatter, verticalWhiskers(`${policy} ${y.label} interval`, vx, color), horizontalWhiskers(`${policy} ${x.label} interval`, hx, color));
  });
  const id = `tradeoff-${slug(x.key)}-${slug(y.key)}`;
  const svg = renderSvg(
    {
      textStyle: TEXT,
      grid: { left: 70, right: 30, top: 30, bottom: 75 },
      // Below the axis title: at the top it would cover the y-axis name.
      legend: { bottom: 0, itemGap: 24, data: policies.filter((p) => cells.some((c) => c.policy === p)) },
      xAxis: { type: "value", name: metricTitle(x), nameLocation: "middle", nameGap: 28, scale: true },
      yAxis: { type: "value", name: metricTitle(y), nameTextStyle: { align: "left" }, scale: true },
      series,
    },
    WIDE.width,
    WIDE.height,
    id,
  );
  return {
    kind: "tradeoff",
    id,
    title: `Trade-off: ${y.label} against ${x.label}`,
    caption: `One point per policy${labelPoints ? "" : " and swept cell"}; whiskers: the intervals of both metrics.`,
    points,
    svg,
  };
}
