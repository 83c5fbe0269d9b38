/**
 * Interval whiskers as an ECharts custom series: a vertical (or horizontal) rule from lo to hi with
 * end caps. ECharts has no error-bar series; custom series render in SSR like any other.
 */
import type { CustomSeriesOption } from "echarts/charts";

/** One whisker: its position on the other axis, and its bounds. */
export interface Whisker {
  readonly at: number | string;
  readonly lo: number;
  readonly hi: number;
}

const CAP = 6;

/** Vertical whiskers at x = `at` (a category index or value), from y = lo to hi. */
export function verticalWhiskers(name: string, ws: readonly Whisker[], color: string): CustomSeriesOption {
  return {
    type: "custom",
    name,
    silent: true,
    z: 10,
    data: ws.map((w) => [w.at, w.lo, w.hi]),
    encode: { x: 0, y: [1, 2] },
    renderItem: (_params, api) => {
      const [x0, y0] = api.coord([api.value(0), api.value(1)]) as [number, number];
      const [, y1] = api.coord([api.value(0), api.value(2)]) as [number, number];
      const style = { stroke: color, lineWidth: 1.5 };
      return {
        type: "group",
        children: [
          { type: "line", shape: { x1: x0, y1: y0, x2: x0, y2: y1 }, style },
          { type: "line", shape: { x1: x0 - CAP, y1: y0, x2: x0 + CAP, y2: y0 }, style },
          { type: "line", shape: { x1: x0 - CAP, y1: y1, x2: x0 + CAP, y2: y1 }, style },
        ],
      };
    },
  };
}

/** Horizontal whiskers at y = `at`, from x = lo to hi. */
export function horizontalWhiskers(name: string, ws: readonly Whisker[], color: string): CustomSeriesOption {
  return {
    type: "custom",
    name,
    silent: true,
    z: 10,
    data: ws.map((w) => [w.lo, w.hi, w.at]),
    encode: { x: [0, 1], y: 2 },
    renderItem: (_params, api) => {
      const [x0, y0] = api.coord([api.value(0), api.value(2)]) as [number, number];
      const [x1] = api.coord([api.value(1), api.value(2)]) as [number, number];
      const style = { stroke: color, lineWidth: 1.5 };
      return {
        type: "group",
        children: [
          { type: "line", shape: { x1: x0, y1: y0, x2: x1, y2: y0 }, style },
          { type: "line", shape: { x1: x0, y1: y0 - CAP, x2: x0, y2: y0 + CAP }, style },
          { type: "line", shape: { x1: x1, y1: y0 - CAP, x2: x1, y2: y0 + CAP }, style },
        ],
      };
    },
  };
}
