/**
 * ECharts' server-side SVG renderer, wrapped: one option in, one SVG string out, with no DOM.
 * zrender numbers its clip paths, gradients and CSS classes from process-wide counters
 * (`zr0-c0`, then `zr1-cls-8` in the next chart), so the raw string depends on what was drawn
 * before; `stableIds` renames them per chart, which makes the same input give the same bytes and
 * keeps ids unique when several charts share one page.
 */
import * as echarts from "echarts/core";
import { BarChart, CustomChart, HeatmapChart, LineChart, ScatterChart } from "echarts/charts";
import { GridComponent, LegendComponent, TitleComponent, VisualMapComponent } from "echarts/components";
import { SVGRenderer } from "echarts/renderers";
import type { ComposeOption } from "echarts/core";
import type { BarSeriesOption, CustomSeriesOption, HeatmapSeriesOption, LineSeriesOption, ScatterSeriesOption } from "echarts/charts";
import type { GridComponentOption, LegendComponentOption, TitleComponentOption, VisualMapComponentOption } from "echarts/components";

echarts.use([BarChart, CustomChart, HeatmapChart, LineChart, ScatterChart, GridComponent, LegendComponent, TitleComponent, VisualMapComponent, SVGRenderer]);

/** The option subset the report's charts use (typed by ECharts). */
export type ChartOption = ComposeOption<
  | BarSeriesOption
  | CustomSeriesOption
  | HeatmapSeriesOption
  | LineSeriesOption
  | ScatterSeriesOption
  | GridComponentOption
  | LegendComponentOption
  | TitleComponentOption
  | VisualMapComponentOption
>;

/** Rename zrender's counter-numbered ids and classes to `<prefix>-<kind><n>`, numbered by first appearance. */
export function stableIds(svg: string, prefix: string): string {
  const seen = new Map<string, string>();
  const perKind = new Map<string, number>();
  return svg.replace(/\bzr\d+-([a-z]+-?)(\d+)\b/g, (whole, kind: string) => {
    let name = seen.get(whole);
    if (name === undefined) {
      const n = perKind.get(kind) ?? 0;
      perKind.set(kind, n + 1);
      name = `${prefix}-${kind}${n}`;
      seen.set(whole, name);
    }
    return name;
  });
}

/** Render `option` to an SVG string of the given size; `id` prefixes every id inside it. */
export function renderSvg(option: ChartOption, width: number, height: number, id: string): string {
  const chart = echarts.init(null, null, { renderer: "svg", ssr: true, width, height });
  try {
    // No animation: SSR would otherwise serialise the first frame's CSS keyframes.
    chart.setOption({ animation: false, ...option });
    return stableIds(chart.renderToSVGString(), id);
  } finally {
    chart.dispose();
  }
}
