/**
 * A metric over the swept axes, one heatmap per policy: x = the first axis, y = the second (one
 * row if there is only one), every cell labelled with its value and interval. One colour scale
 * across the policies, so equal colours mean equal values.
 */
import type { Cell, MetricSpec, ParamValue } from "./data.js";
import { type Chart, SMALL, slug, TEXT, WIDE } from "./chart.js";
import { fmt, fmtInterval, metricTitle } from "./format.js";
import { renderSvg } from "./svg.js";

/** Distinct values of one axis over the cells: numbers ascending, then strings in first-seen order. */
export function axisValues(cells: readonly Cell[], axis: string): ParamValue[] {
  const seen: ParamValue[] = [];
  for (const c of cells) {
    const v = c.params[axis];
    if (v !== undefined && !seen.includes(v)) seen.push(v);
  }
  const nums = seen.filter((v): v is number => typeof v === "number").sort((a, b) => a - b);
  return [...nums, ...seen.filter((v) => typeof v === "string")];
}

/** Heatmaps of `metric`, one per policy that has cells, over `axes[0]` x `axes[1]`; `slice` names a map's slice (id and title). */
export function heatmapCharts(metric: MetricSpec, policies: readonly string[], axes: readonly string[], cells: readonly Cell[], slice?: string): Chart[] {
  const xAxis = axes[0];
  if (xAxis === undefined) return [];
  const yAxis = axes[1];
  const xs = axisValues(cells, xAxis);
  const ys = yAxis === undefined ? [""] : axisValues(cells, yAxis);
  let min = Infinity;
  let max = -Infinity;
  for (const c of cells) {
    const e = c.metrics[metric.key];
    if (e === undefined) continue;
    min = Math.min(min, e.value);
    max = Math.max(max, e.value);
  }
  if (min === max) max = min + 1;
  // Each cell prints "[0.00, 0.39]": past three columns the small chart's cells are too narrow for it.
  const size = xs.length > 3 ? WIDE : SMALL;
  const charts: Chart[] = [];
  for (const policy of policies) {
    const mine = cells.filter((c) => c.policy === policy && metric.key in c.metrics);
    if (mine.length === 0) continue;
    const data = mine.map((c) => {
      const e = c.metrics[metric.key] ?? { value: 0, lo: null, hi: null };
      const xi = xs.indexOf(c.params[xAxis] ?? "");
      const yi = yAxis === undefined ? 0 : ys.indexOf(c.params[yAxis] ?? "");
      const interval = fmtInterval(e, metric);
      // Dark cells (upper 40 % of the scale) get white text, light cells black.
      const dark = (e.value - min) / (max - min) > 0.6;
      const style = dark ? "d" : "l";
      const label = `{${style}v|${fmt(e.value, metric.digits)}}${interval === "" ? "" : `\n{${style}i|${interval}}`}`;
      return { value: [xi, yi, e.value], label: { formatter: label } };
    });
    const id = `heatmap-${slug(metric.key)}-${slug(policy)}${slice === undefined ? "" : `-${slug(slice)}`}`;
    const svg = renderSvg(
      {
        textStyle: TEXT,
        grid: { left: 50, right: 10, top: 20, bottom: 80 },
        xAxis: { type: "category", data: xs.map(String), name: xAxis, nameLocation: "middle", nameGap: 24, splitArea: { show: true } },
        yAxis: { type: "category", data: ys.map(String), name: yAxis ?? "", nameLocation: "middle", nameGap: 34, splitArea: { show: true } },
        visualMap: {
          min,
          max,
          calculable: false,
          orient: "horizontal",
          left: "center",
          bottom: 0,
          itemHeight: 120,
          text: [fmt(max, metric.digits), fmt(min, metric.digits)],
          inRange: { color: ["#f7fbff", "#6baed6", "#08306b"] },
        },
        series: [
          {
            type: "heatmap",
            name: metric.label,
            data,
            label: {
              show: true,
              rich: {
                lv: { fontSize: 12, fontWeight: "bold", color: "#000" },
                li: { fontSize: 10, color: "#000" },
                dv: { fontSize: 12, fontWeight: "bold", color: "#fff" },
                di: { fontSize: 10, color: "#fff" },
              },
            },
            emphasis: { disabled: true },
          },
        ],
      },
      size.width,
      size.height,
      id,
    );
    charts.push({
      kind: "heatmap",
      id,
      title: `${metricTitle(metric)}: ${policy}${slice === undefined ? "" : ` (${slice})`}`,
      caption: `${metric.description} Each cell: value and [interval].`,
      points: mine.length,
      svg,
    });
  }
  return charts;
}
