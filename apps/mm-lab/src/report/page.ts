/**
 * The page shell: one self-contained HTML file. No script, no external resource (the
 * Content-Security-Policy forbids any), inline SVG charts and HTML tables, so it reads the same
 * with JavaScript off and from a mail attachment.
 */
import type { Chart } from "./chart.js";
import { esc } from "./format.js";

/** A titled section of the page. */
export interface Section {
  readonly id: string;
  readonly title: string;
  /** Ready HTML (charts are put in `figures`). */
  readonly html: string;
  readonly charts: readonly Chart[];
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;margin:0 auto;max-width:1180px;padding:16px 24px}
h1{font-size:22px;margin:8px 0}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ccc}h3{font-size:15px}
nav a{margin-right:12px}
.figures{display:flex;flex-wrap:wrap;gap:16px}
figure{margin:0;border:1px solid #e3e3e3;padding:8px;max-width:100%}
figure svg{max-width:100%;height:auto;display:block}
figcaption{font-size:12px;color:#444;max-width:740px}
figcaption b{display:block;font-size:13px;color:#222}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.ci{color:#666;font-size:11px}
.wide{overflow-x:auto}
thead th{background:#f4f4f4}
pre.verbatim{background:#f7f7f7;padding:8px;overflow:auto;font-size:12px}
.note{font-size:12px;color:#444}
pre.config{background:#f7f7f7;padding:8px;overflow:auto;font-size:12px;max-height:480px}
dl.defs dt{font-weight:600}dl.defs dd{margin:0 0 6px 16px}
`.trim();

/** One chart as a figure; data attributes let the browser test match marks to data points. */
export function figure(c: Chart): string {
  return `<figure id="${esc(c.id)}" data-chart="${c.kind}" data-points="${c.points}">${c.svg}<figcaption><b>${esc(c.title)}</b>${esc(c.caption)}</figcaption></figure>`;
}

/** The whole page. */
export function page(title: string, summary: string, sections: readonly Section[]): string {
  const nav = sections.map((s) => `<a href="#${esc(s.id)}">${esc(s.title)}</a>`).join("");
  const body = sections.map((s) => {
    const figs = s.charts.length === 0 ? "" : `<div class="figures">\n${s.charts.map(figure).join("\n")}\n</div>\n`;
    return `<section id="${esc(s.id)}"><h2>${esc(s.title)}</h2>\n${s.html}${s.html === "" ? "" : "\n"}${figs}</section>`;
  });
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title>`,
    `<style>${CSS}</style>`,
    "</head>",
    "<body>",
    `<h1>${esc(title)}</h1>`,
    `<p>${esc(summary)}</p>`,
    `<nav>${nav}</nav>`,
    ...body,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
