import { describe, expect, it } from "vitest";
import { MmError } from "@mm/api";
import { buildReport, reportSteps } from "../../src/report/build.js";
import { checkReportData, type ReportData } from "../../src/report/data.js";
import { renderSvg, stableIds } from "../../src/report/svg.js";
import { abData, sweepData } from "./fixture.js";

function ids(html: string): string[] {
  return [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1] ?? "");
}

describe("buildReport", () => {
  it("gives byte-identical pages for the same data, whatever was rendered before in the process", () => {
    const first = buildReport(abData);
    buildReport(sweepData); // advances zrender's global id counters
    renderSvg({ xAxis: { type: "value" }, yAxis: { type: "value" }, series: [{ type: "line", data: [[0, 1]] }] }, 100, 100, "x");
    expect(buildReport(abData)).toBe(first);
    expect(buildReport(structuredClone<ReportData>(abData))).toBe(first);
  });

  it("keeps every id on the page unique and every reference pointing at one", () => {
    for (const d of [abData, sweepData]) {
      const html = buildReport(d);
      const all = ids(html);
      expect(new Set(all).size).toBe(all.length);
      for (const m of html.matchAll(/url\(#([^)]+)\)/g)) expect(all).toContain(m[1]);
    }
  });

  it("makes no external reference: no src/href to a URL, a CSP that forbids loads, no script", () => {
    const html = buildReport(abData);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\b(src|href)="(?!#)/);
    expect(html).toContain("default-src 'none'");
  });

  it("draws bars per headline metric for an A/B, heatmaps per policy for a sweep", () => {
    const ab = buildReport(abData);
    expect(ab.match(/data-chart="bars"/g)).toHaveLength(abData.headline.length);
    expect(ab).not.toContain('data-chart="heatmap"');
    expect(ab.match(/data-chart="series"/g)).toHaveLength(abData.seriesSpecs.length);
    const sw = buildReport(sweepData);
    expect(sw.match(/data-chart="heatmap"/g)).toHaveLength(sweepData.policies.length);
    expect(sw.match(/data-chart="tradeoff"/g)).toHaveLength(1);
    expect(reportSteps(abData)).toBe(abData.headline.length + 1 + abData.seriesSpecs.length);
  });

  it("labels each heatmap cell with its value and interval, as the table shows them", () => {
    const html = buildReport(sweepData);
    const fixed = html.slice(html.indexOf('id="heatmap-p-oom-fixed"'));
    const svg = fixed.slice(0, fixed.indexOf("</svg>"));
    const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    for (const c of sweepData.cells.filter((x) => x.policy === "fixed")) {
      const e = c.metrics.p_oom;
      if (e === undefined) continue;
      expect(texts).toContain(e.value.toFixed(2));
      expect(texts).toContain(`[${(e.lo ?? 0).toFixed(2)}, ${(e.hi ?? 0).toFixed(2)}]`);
    }
  });

  it("shows the full configuration, version, revision and seeds", () => {
    const html = buildReport(abData);
    expect(html).toContain('<td data-field="revision"><code>abc123</code></td>');
    expect(html).toContain('<td data-field="mm-lab version"><code>0.0.0</code></td>');
    expect(html).toContain('<td data-field="seeds"><code>1..4</code></td>');
    expect(html).toContain(JSON.stringify(abData.provenance.config, null, 2).replace(/"/g, "&quot;"));
  });

  it("charts the lowest seed of each policy's series", () => {
    const html = buildReport(abData);
    expect(html).toMatch(/guest free over time<\/b>One line per policy, seed 1\./);
  });
});

describe("stableIds", () => {
  it("numbers by first appearance per kind, with the chart's prefix", () => {
    expect(stableIds('<g id="zr7-c3"/><p class="zr7-cls-9"/><q clip-path="url(#zr7-c3)"/><g id="zr7-c1"/>', "k")).toBe(
      '<g id="k-c0"/><p class="k-cls-0"/><q clip-path="url(#k-c0)"/><g id="k-c1"/>',
    );
  });
});

describe("checkReportData", () => {
  const bad = (patch: Partial<ReportData>) => () => checkReportData({ ...abData, ...patch });
  it("rejects dangling names and broken intervals with EINVAL", () => {
    expect(bad({ headline: ["nope"] })).toThrow(MmError);
    expect(bad({ tradeoff: { x: "p_oom", y: "nope" } })).toThrow(/trade-off metric "nope"/);
    expect(bad({ policies: ["off", "fixed"] })).toThrow(/cell policy "reserve"/);
    expect(bad({ cells: [{ policy: "off", params: {}, seeds: 1, metrics: { p_oom: { value: 0.5, lo: 0.6, hi: 0.9 } } }] })).toThrow(/does not hold/);
    expect(bad({ cells: [{ policy: "off", params: {}, seeds: 1, metrics: { p_oom: { value: 0.5, lo: 0.1, hi: null } } }] })).toThrow(/one interval bound/);
    expect(bad({ axes: ["guestMiB"] })).toThrow(/no value for axis/);
    expect(bad({ series: [{ series: "guest_free", policy: "off", seed: 1, t: [0, 1], y: [0] }] })).toThrow(/2 times but 1 values/);
    try {
      checkReportData({ ...abData, headline: ["nope"] });
    } catch (e) {
      expect((e as MmError).code).toBe("EINVAL");
    }
  });
});
