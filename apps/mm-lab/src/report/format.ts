/**
 * Text for the page: HTML escaping, fixed-digit numbers and intervals, and the policy colours.
 * One formatter for tables and chart labels, so what a chart shows equals what the table shows.
 */
import type { Estimate, MetricSpec } from "./data.js";

/** Escape text for HTML element content and double-quoted attributes. */
export function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A number with the metric's digits; "-0.00" is printed as "0.00". */
export function fmt(v: number, digits: number): string {
  const s = v.toFixed(digits);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
}

/** "[lo, hi]" with the metric's digits, or "" without an interval. */
export function fmtInterval(e: Estimate, m: MetricSpec): string {
  return e.lo === null || e.hi === null ? "" : `[${fmt(e.lo, m.digits)}, ${fmt(e.hi, m.digits)}]`;
}

/** Axis / column title: label and unit. */
export function metricTitle(m: MetricSpec): string {
  return m.unit === "" ? m.label : `${m.label} (${m.unit})`;
}

/** Okabe-Ito: distinguishable with the common colour-vision deficiencies; policies take them in order. */
const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"] as const;

/** The colour of the i-th policy (cycles after eight). */
export function policyColor(i: number): string {
  return PALETTE[i % PALETTE.length] ?? "#000000";
}
