/**
 * What every chart builder returns, and the look they share. A builder is a pure function of the
 * report data: same data, same SVG bytes.
 */

/** The chart kinds; the page and the browser test key on them. */
export type ChartKind = "bars" | "heatmap" | "tradeoff" | "series" | "profile";

/** One rendered chart. */
export interface Chart {
  readonly kind: ChartKind;
  /** Page-unique, derived from the data (never a counter), e.g. "heatmap-p_oom-fixed". */
  readonly id: string;
  readonly title: string;
  /** One or two sentences under the chart: what is drawn, what the whiskers are. */
  readonly caption: string;
  /** Data points drawn (bars, cells, points, lines); the browser test checks marks against it. */
  readonly points: number;
  readonly svg: string;
}

/** Chart sizes in CSS pixels (the SVG scales down on narrow screens). */
export const WIDE = { width: 760, height: 320 } as const;
export const SMALL = { width: 380, height: 300 } as const;

/** Text style shared by axes and labels. */
export const TEXT = { fontFamily: "sans-serif", fontSize: 12, color: "#222" } as const;

/** A stable id fragment from any label: lowercase letters, digits and dashes. */
export function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "x";
}
