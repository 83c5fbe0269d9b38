/**
 * The page's tables: every cell's metrics with intervals, the metric definitions, and the
 * provenance (version, revision, seeds, full configuration). Cells carry data attributes so the
 * browser test can find each number.
 */
import type { Cell, JsonValue, ProfileChart, ReportData, ReportTable } from "./data.js";
import { esc, fmt, fmtInterval, metricTitle } from "./format.js";

/** Cells in table order: policies in display order, then each axis ascending as the data lists it. */
function cellRow(d: ReportData, c: Cell): string {
  const params = d.axes.map((a) => `<td class="num">${esc(String(c.params[a] ?? ""))}</td>`).join("");
  const metrics = d.metrics
    .map((m) => {
      const e = c.metrics[m.key];
      if (e === undefined) return `<td class="num" data-metric="${esc(m.key)}">–</td>`;
      const ci = fmtInterval(e, m);
      return `<td class="num" data-metric="${esc(m.key)}"><span class="v">${fmt(e.value, m.digits)}</span>${ci === "" ? "" : ` <span class="ci">${ci}</span>`}</td>`;
    })
    .join("");
  const key = esc(JSON.stringify(d.axes.map((a) => c.params[a] ?? null)));
  return `<tr data-policy="${esc(c.policy)}" data-params="${key}"><th scope="row">${esc(c.policy)}</th>${params}<td class="num">${c.seeds}</td>${metrics}</tr>`;
}

/** Every cell, every metric. */
export function metricsTable(d: ReportData): string {
  const head = [
    "<th scope=\"col\">policy</th>",
    ...d.axes.map((a) => `<th scope="col">${esc(a)}</th>`),
    "<th scope=\"col\">seeds</th>",
    ...d.metrics.map((m) => `<th scope="col">${esc(metricTitle(m))}</th>`),
  ].join("");
  const order = new Map(d.policies.map((p, i) => [p, i]));
  const rows = [...d.cells].sort((a, b) => (order.get(a.policy) ?? 0) - (order.get(b.policy) ?? 0)).map((c) => cellRow(d, c));
  return `<div class="wide"><table class="metrics"><thead><tr>${head}</tr></thead><tbody>\n${rows.join("\n")}\n</tbody></table></div>`;
}

/** What each metric is and how its interval was computed. */
export function metricDefinitions(d: ReportData): string {
  const items = d.metrics.map((m) => `<dt>${esc(metricTitle(m))}</dt><dd>${esc(m.description)}</dd>`);
  return `<dl class="defs">${items.join("")}</dl>`;
}

/** Pretty JSON with two-space indent; key order as given (the run's own order). */
function prettyJson(v: JsonValue): string {
  return JSON.stringify(v, null, 2);
}

/** Version, revision, seeds and the full configuration. */
export function provenanceTable(d: ReportData): string {
  const p = d.provenance;
  const rows = [
    ["experiment", d.experiment],
    ["mm-lab version", p.version],
    ["revision", p.revision],
    ["seeds", p.seeds],
  ].map(([k, v]) => `<tr><th scope="row">${esc(k ?? "")}</th><td data-field="${esc(k ?? "")}"><code>${esc(v ?? "")}</code></td></tr>`);
  return `<table class="provenance"><tbody>${rows.join("")}</tbody></table>\n<h3>Configuration</h3>\n<pre class="config">${esc(prettyJson(p.config))}</pre>`;
}

/** A cell of a plain table: numbers as JavaScript prints them (the JSON's own text), null as a dash. */
function plainCell(v: string | number | null, col: string): string {
  const c = esc(col);
  if (v === null) return `<td data-col="${c}">–</td>`;
  return typeof v === "number" ? `<td class="num" data-col="${c}">${String(v)}</td>` : `<td data-col="${c}">${esc(v)}</td>`;
}

/** A titled plain table; `data-table` and `data-col` let the browser test read it back. */
export function plainTable(t: ReportTable): string {
  const head = t.columns.map((c) => `<th scope="col">${esc(c)}</th>`).join("");
  const rows = t.rows.map((r) => `<tr>${r.map((v, i) => plainCell(v, t.columns[i] ?? "")).join("")}</tr>`);
  const more = t.omitted !== undefined && t.omitted > 0 ? `\n<p class="note">${t.omitted} more rows are in the input, not shown here.</p>` : "";
  const caption = t.caption === "" ? "" : `<p class="note">${esc(t.caption)}</p>\n`;
  return `<h3 id="${esc(t.id)}">${esc(t.title)}</h3>\n${caption}<div class="wide"><table class="plain" data-table="${esc(t.id)}"><thead><tr>${head}</tr></thead><tbody>\n${rows.join("\n")}\n</tbody></table></div>${more}`;
}

/** A profile's numbers: one row per group, one column per category, with the chart's digits. */
export function profileTable(p: ProfileChart): string {
  const head = [`<th scope="col">${esc(p.xLabel)}</th>`, ...p.categories.map((c) => `<th scope="col">${esc(c)}</th>`)].join("");
  const rows = p.groups.map(
    (g) =>
      `<tr data-group="${esc(g.name)}"><th scope="row">${esc(g.name)}</th>${g.values
        .map((v, i) => `<td class="num" data-col="${esc(p.categories[i] ?? "")}">${v === null ? "–" : fmt(v, p.digits)}</td>`)
        .join("")}</tr>`,
  );
  return `<div class="wide"><table class="profile" data-profile="${esc(p.id)}"><thead><tr>${head}</tr></thead><tbody>\n${rows.join("\n")}\n</tbody></table></div>`;
}
