/**
 * A profile: one value per category (an order, a migratetype) for a few groups (the imported
 * machine, the real one), as grouped bars with their values printed above them. What a per-order
 * comparison like buddyinfo real vs imported needs, which the per-policy bars do not fit.
 */
import type { BarSeriesOption } from "echarts/charts";
import type { ProfileChart } from "./data.js";
import { type Chart, slug, TEXT, WIDE } from "./chart.js";
import { fmt, policyColor } from "./format.js";
import { renderSvg } from "./svg.js";

/** The grouped bars of `p`; `points` counts the non-null values (each is one drawn bar). */
export function profileChart(p: ProfileChart): Chart {
  let points = 0;
  // Past a dozen bars the numbers overlap side by side ("-1.000" x 22): stand them up.
  const upright = p.categories.length * p.groups.length > 12;
  const series: BarSeriesOption[] = p.groups.map((g, i) => {
    points += g.values.filter((v) => v !== null).length;
    return {
      type: "bar",
      name: g.name,
      itemStyle: { color: policyColor(i) },
      // "-" is ECharts' missing value: no bar drawn.
      // A negative bar (fragmentation index -1.000) hangs from zero: its number goes inside, at its end (over it would cover the axis name, under it the order labels).
      data: g.values.map((v) => (v === null ? "-" : v < 0 ? { value: v, label: { position: "insideBottom", color: "#fff" } } : v)),
      // Above the bar, small: up to a dozen categories x two groups stay readable at 760 px.
      label: {
        show: true,
        position: "top",
        fontSize: 9,
        color: "#222",
        ...(upright ? { rotate: 90, align: "left", verticalAlign: "middle", distance: 4 } : {}),
        formatter: (x) => fmt(Number(x.value), p.digits),
      },
      emphasis: { disabled: true },
    };
  });
  const id = `profile-${slug(p.id)}`;
  const svg = renderSvg(
    {
      textStyle: TEXT,
      grid: { left: 70, right: 20, top: upright ? 56 : 36, bottom: 75 },
      legend: { bottom: 0, itemGap: 24, data: p.groups.map((g) => g.name) },
      xAxis: { type: "category", data: [...p.categories], name: p.xLabel, nameLocation: "middle", nameGap: 28, axisLabel: { interval: 0 } },
      yAxis: { type: "value", name: p.yLabel, nameTextStyle: { align: "left" } },
      series,
    },
    WIDE.width,
    WIDE.height,
    id,
  );
  return { kind: "profile", id, title: p.title, caption: p.caption, points, svg };
}
