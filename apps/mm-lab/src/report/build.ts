/**
 * Report data -> the HTML page: which charts a given experiment gets, in which sections.
 * A plain A/B gets its headline metrics as bars; a sweep gets heatmaps over its axes; both get the
 * trade-off, the time series they have, every number in a table, and the provenance.
 */
import { MmError } from "@mm/api";
import type { Chart } from "./chart.js";
import { type Cell, checkReportData, type ExtraSection, type HeatmapSlice, type MetricSpec, type ReportData } from "./data.js";
import { barsChart } from "./bars.js";
import { heatmapCharts } from "./heatmap.js";
import { tradeoffChart } from "./tradeoff.js";
import { seriesChart } from "./series.js";
import { profileChart } from "./profile.js";
import { metricDefinitions, metricsTable, plainTable, profileTable, provenanceTable } from "./tables.js";
import { esc } from "./format.js";
import { figure, page, type Section } from "./page.js";

/** A slice's name: "x × y at a=1, b=2". */
export function sliceName(s: HeatmapSlice): string {
  const at = Object.entries(s.fixed).map(([k, v]) => `${k}=${v}`);
  return `${s.x} × ${s.y}${at.length === 0 ? "" : ` at ${at.join(", ")}`}`;
}

function inSlice(c: Cell, s: HeatmapSlice): boolean {
  return Object.entries(s.fixed).every(([k, v]) => c.params[k] === v);
}

function metric(d: ReportData, key: string): MetricSpec {
  const m = d.metrics.find((x) => x.key === key);
  if (m === undefined) throw new MmError("EINVAL", `report data: metric "${key}" is not in metrics`);
  return m;
}

/** The charts' work items, so a caller can size a progress bar before rendering. */
function plan(d: ReportData): { section: string; render: () => Chart[] }[] {
  const items: { section: string; render: () => Chart[] }[] = [];
  if (d.axes.length === 0) {
    for (const k of d.headline) items.push({ section: "headline", render: () => [barsChart(metric(d, k), d.policies, d.cells)] });
  } else {
    const k = d.heatmap ?? d.headline[0];
    const slices = d.heatmapSlices ?? [];
    if (k !== undefined && slices.length === 0) items.push({ section: "headline", render: () => heatmapCharts(metric(d, k), d.policies, d.axes, d.cells) });
    if (k !== undefined)
      for (const s of slices)
        items.push({ section: "headline", render: () => heatmapCharts(metric(d, k), d.policies, [s.x, s.y], d.cells.filter((c) => inSlice(c, s)), sliceName(s)) });
  }
  const t = d.tradeoff;
  if (t !== null) items.push({ section: "tradeoff", render: () => [tradeoffChart(metric(d, t.x), metric(d, t.y), d.policies, d.cells)] });
  for (const s of d.seriesSpecs) {
    items.push({
      section: "series",
      render: () => {
        const c = seriesChart(s, d.policies, d.series);
        return c === null ? [] : [c];
      },
    });
  }
  for (const x of d.extra ?? []) for (const p of x.profiles) items.push({ section: `extra:${x.id}`, render: () => [profileChart(p)] });
  return items;
}

/** An extra section: its text, each profile's chart with its numbers under it, its tables, its verbatim text. */
function extraSection(x: ExtraSection, charts: readonly Chart[]): Section {
  const parts: string[] = x.paragraphs.map((p) => `<p>${esc(p)}</p>`);
  x.profiles.forEach((p, i) => {
    const c = charts[i];
    parts.push(`<div class="figures">${c === undefined ? "" : figure(c)}</div>`, profileTable(p));
  });
  for (const t of x.tables) parts.push(plainTable(t));
  for (const p of x.pre) parts.push(`<h3>${esc(p.title)}</h3>\n<pre class="verbatim">${esc(p.text)}</pre>`);
  return { id: x.id, title: x.title, html: parts.join("\n"), charts: [] };
}

/** How many steps `buildReport` reports through `tick` (one per chart builder). */
export function reportSteps(d: ReportData): number {
  return plan(d).length;
}

/** The page for `d`: the same data gives the same bytes. @throws MmError EINVAL on inconsistent data. */
export function buildReport(d: ReportData, tick?: () => void): string {
  checkReportData(d);
  const by = new Map<string, Chart[]>();
  for (const item of plan(d)) {
    const list = by.get(item.section) ?? [];
    list.push(...item.render());
    by.set(item.section, list);
    if (tick !== undefined) tick();
  }
  const sections: Section[] = [];
  const headline = by.get("headline") ?? [];
  if (headline.length > 0) {
    const over = (d.heatmapSlices ?? []).length > 0 ? (d.heatmapSlices ?? []).map((s) => `${s.x} × ${s.y}`).join("; ") : d.axes.join(" × ");
    const what = d.axes.length === 0 ? "Headline metrics per policy" : `${metric(d, d.heatmap ?? d.headline[0] ?? "").label} over ${over}`;
    sections.push({ id: "headline", title: what, html: "", charts: headline });
  }
  const tradeoff = by.get("tradeoff") ?? [];
  if (tradeoff.length > 0) sections.push({ id: "tradeoff", title: "Trade-off", html: "", charts: tradeoff });
  const series = by.get("series") ?? [];
  if (series.length > 0) sections.push({ id: "series", title: "Time series", html: "", charts: series });
  for (const x of d.extra ?? []) sections.push(extraSection(x, by.get(`extra:${x.id}`) ?? []));
  // A page of extra sections only (an import without what-ifs) has no cells to list.
  if (d.cells.length > 0) sections.push({ id: "numbers", title: "All numbers", html: `${metricsTable(d)}\n${metricDefinitions(d)}`, charts: [] });
  sections.push({ id: "provenance", title: "Configuration, seeds, version, revision", html: provenanceTable(d), charts: [] });
  return page(d.title, d.summary, sections);
}
