/// <reference lib="dom" />
/**
 * The report in a real browser (Debian chromium via playwright-core): every chart has marks for
 * its data points, no console error, no network request, the numbers shown equal the JSON the
 * page was built from, and a screenshot under screenshots/ (gitignored) for a person to look at.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { buildReport } from "../../src/report/build.js";
import type { ReportData } from "../../src/report/data.js";
import { fmt } from "../../src/report/format.js";
import { slug } from "../../src/report/chart.js";
import { findChromium, launch, SKIP_REASON } from "./chromium.js";
import { abData, sweepData } from "./fixture.js";
import { sliceName } from "../../src/report/build.js";
import { mapConfigFromArgs } from "../../src/experiments/reporting-ab.js";
import { runMap } from "../../src/experiments/reporting/map.js";
import { mapReportData } from "../../src/experiments/reporting/report-data.js";
import { centreSeries } from "../../src/experiments/reporting/series.js";
import { formatMapJson } from "../../src/experiments/reporting/format.js";
import { fromRunJson } from "../../src/report/from-run-json.js";
import { loadReportData } from "../../src/report/command.js";
import { cliMain } from "../cli-helper.js";

/** A small reporting-ab map: two delays x two hosts, and two guests x two freed sizes, through the centre. */
const SMALL_MAP = { seeds: "2", policies: "off,fixed,shift-reserve", delays: "0.5,1.1", devices: "4k-host,slow-host", guests: "512,1024", freed: "128,256" };

/** `mm-lab run reporting-ab --json` output through the run-JSON adapter. */
function realRunJson(): ReportData {
  const lines = formatMapJson(runMap(mapConfigFromArgs(SMALL_MAP))).trim().split("\n").map((l) => JSON.parse(l) as unknown);
  return fromRunJson(lines, "reporting-ab");
}

/** Real runs: the small map with the centre's series, as the default run reports it. */
function realMap(): ReportData {
  const c = mapConfigFromArgs(SMALL_MAP);
  return mapReportData(c, runMap(c), centreSeries(c), "0.0.0", "test");
}

/** A results store of a small reporting-ab sweep (2 delays x 2 hosts, off and fixed, 2 seeds), through `mm-lab report`'s loader. */
async function storeData(dir: string): Promise<ReportData> {
  const db = join(dir, "sweep.duckdb");
  const grid = "startDelayRatio=0.5,1.1,device=4k-host,slow-host";
  const r = await cliMain("sweep", "reporting-ab", "--grid", grid, "--policies", "off,fixed", "--seeds", "2", "--guest-mib", "512", "--jobs", "1", "--db", db, "--json");
  if (r.code !== 0) throw new Error(r.err);
  return loadReportData(db, "");
}

/** `mm-lab import fixtures/kernel-6.1-256M --what-if all --json`, through `mm-lab report`'s loader. */
async function importData(dir: string): Promise<ReportData> {
  const r = await cliMain("import", new URL("../../../../fixtures/kernel-6.1-256M", import.meta.url).pathname, "--what-if", "all", "--json");
  if (r.code !== 0) throw new Error(r.err);
  const file = join(dir, "import.json");
  writeFileSync(file, r.out);
  return loadReportData(file, "");
}

const exe = findChromium();
if (exe === null) console.warn(SKIP_REASON);
const SHOTS = new URL("../../screenshots/", import.meta.url).pathname;

interface Seen {
  charts: { id: string; kind: string; points: number; marks: number; visible: number; texts: string[] }[];
  cells: { policy: string; params: string; metric: string; value: string; ci: string }[];
  /** Plain tables and profile tables by id: each row's cell texts. */
  tables: Record<string, string[][]>;
  profiles: Record<string, Record<string, string[]>>;
}

/** Open `file`, collect console errors and requests, read charts and table cells, save a screenshot. */
async function inspect(browser: Browser, file: string, shot: string): Promise<{ seen: Seen; errors: string[]; requests: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  const url = pathToFileURL(file).href;
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("request", (r) => {
    if (r.url() !== url) requests.push(r.url());
  });
  await page.goto(url, { waitUntil: "load" });
  const seen = await page.evaluate((): Seen => {
    const palette = new Set(["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#f0e442", "#000000"]);
    const charts = [...document.querySelectorAll("figure[data-chart]")].map((f) => {
      const svg = f.querySelector("svg");
      const kind = f.getAttribute("data-chart") ?? "";
      let marks: Element[] = [];
      if (svg !== null) {
        const width = svg.getBoundingClientRect().width;
        marks =
          kind === "series"
            ? // Lines: a stroked, unfilled path in a policy colour spanning most of the plot (legend icons are short).
              [...svg.querySelectorAll("path")].filter(
                (p) => p.getAttribute("fill") === "none" && palette.has((p.getAttribute("stroke") ?? "").toLowerCase()) && p.getBoundingClientRect().width > width / 3,
              )
            : // Bars, heatmap cells, scatter points: ECharts tags each data element it draws.
              [...svg.querySelectorAll('[ecmeta_ssr_type="chart"]:not([ecmeta_silent])')];
      }
      return {
        id: f.id,
        kind,
        points: Number(f.getAttribute("data-points")),
        marks: marks.length,
        visible: marks.filter((m) => {
          const r = m.getBoundingClientRect();
          // A profile's bar of value 0 is drawn flat: only bars with a height count as seen.
          return kind === "profile" ? r.height > 0 : r.width > 0 || r.height > 0;
        }).length,
        texts: svg === null ? [] : [...svg.querySelectorAll("text")].map((t) => t.textContent ?? ""),
      };
    });
    const cells = [...document.querySelectorAll("table.metrics tbody tr")].flatMap((tr) =>
      [...tr.querySelectorAll("td[data-metric]")].map((td) => ({
        policy: tr.getAttribute("data-policy") ?? "",
        params: tr.getAttribute("data-params") ?? "",
        metric: td.getAttribute("data-metric") ?? "",
        value: td.querySelector(".v")?.textContent ?? td.textContent ?? "",
        ci: td.querySelector(".ci")?.textContent ?? "",
      })),
    );
    const tables: Record<string, string[][]> = {};
    for (const t of document.querySelectorAll("table.plain[data-table]"))
      tables[t.getAttribute("data-table") ?? ""] = [...t.querySelectorAll("tbody tr")].map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? ""));
    const profiles: Record<string, Record<string, string[]>> = {};
    for (const t of document.querySelectorAll("table.profile[data-profile]")) {
      const rows: Record<string, string[]> = {};
      for (const tr of t.querySelectorAll("tbody tr")) rows[tr.getAttribute("data-group") ?? ""] = [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "");
      profiles[t.getAttribute("data-profile") ?? ""] = rows;
    }
    return { charts, cells, tables, profiles };
  });
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, shot), fullPage: true });
  await page.close();
  return { seen, errors, requests };
}

describe.skipIf(exe === null)("report in chromium", () => {
  let browser: Browser;
  const dir = mkdtempSync(join(tmpdir(), "mm-report-"));
  beforeAll(async () => {
    browser = await launch(exe ?? "");
  });
  afterAll(async () => {
    await browser.close();
  });

  const cases: [string, () => ReportData | Promise<ReportData>][] = [
    ["ab", () => abData],
    ["sweep", () => sweepData],
    ["reporting-ab", realMap],
    ["run-json", realRunJson],
    ["store", () => storeData(dir)],
    ["import", () => importData(dir)],
  ];
  for (const [name, make] of cases) {
    it(`${name}: every chart drawn, no console error, no request, numbers equal the JSON`, async () => {
      const data = await make();
      // The page is built from the JSON file, and checked against that file read back.
      const jsonFile = join(dir, `${name}.json`);
      writeFileSync(jsonFile, JSON.stringify(data));
      const json = JSON.parse(readFileSync(jsonFile, "utf8")) as ReportData;
      const html = join(dir, `${name}.html`);
      writeFileSync(html, buildReport(json));
      const { seen, errors, requests } = await inspect(browser, html, `report-${name}.png`);
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      expect(seen.charts.length).toBeGreaterThan(0);
      for (const c of seen.charts) {
        expect(c.points, c.id).toBeGreaterThan(0);
        expect(c.marks, c.id).toBeGreaterThanOrEqual(c.points);
        // A profile of zeros (no mixed block in DMA) has flat bars only; its own check below counts them.
        if (c.kind !== "profile") expect(c.visible, c.id).toBeGreaterThan(0);
      }
      // Every number of every cell, as the table shows it.
      const expected = json.cells.flatMap((cell) =>
        json.metrics.flatMap((m) => {
          const e = cell.metrics[m.key];
          const params = JSON.stringify(json.axes.map((a) => cell.params[a] ?? null));
          // A metric a cell does not have (e.g. never reached 90 %) is shown as a dash.
          if (e === undefined) return [{ policy: cell.policy, params, metric: m.key, value: "–", ci: "" }];
          return [{
            policy: cell.policy,
            params,
            metric: m.key,
            value: fmt(e.value, m.digits),
            ci: e.lo === null || e.hi === null ? "" : `[${fmt(e.lo, m.digits)}, ${fmt(e.hi, m.digits)}]`,
          }];
        }),
      );
      expect(seen.cells).toHaveLength(expected.length);
      expect(seen.cells).toEqual(expect.arrayContaining(expected));
      // The charts print the same numbers: bar labels, heatmap values and intervals.
      for (const c of seen.charts.filter((x) => x.kind === "bars")) {
        const m = json.metrics.find((x) => c.id === `bars-${slug(x.key)}`);
        expect(m, c.id).toBeDefined();
        if (m === undefined) continue;
        for (const cell of json.cells) {
          const e = cell.metrics[m.key];
          if (e !== undefined) expect(c.texts, `${c.id} ${cell.policy}`).toContain(fmt(e.value, m.digits));
        }
      }
      for (const c of seen.charts.filter((x) => x.kind === "heatmap")) {
        const m = json.metrics.find((x) => x.key === json.heatmap);
        if (m === undefined) throw new Error("heatmap without its metric");
        // A map's slices: each heatmap holds the cells of its policy in its slice.
        const slices = json.heatmapSlices ?? [];
        const mine = json.cells.filter((x) =>
          slices.length === 0
            ? c.id.endsWith(`-${x.policy}`)
            : slices.some((s) => c.id === `heatmap-${slug(m.key)}-${slug(x.policy)}-${slug(sliceName(s))}` && Object.entries(s.fixed).every(([k, v]) => x.params[k] === v)),
        );
        if (slices.length > 0) expect(mine.length, c.id).toBe(c.points);
        for (const cell of mine) {
          const e = cell.metrics[m.key];
          if (e === undefined) continue;
          expect(c.texts).toContain(fmt(e.value, m.digits));
          if (e.lo !== null && e.hi !== null) expect(c.texts).toContain(`[${fmt(e.lo, m.digits)}, ${fmt(e.hi, m.digits)}]`);
        }
      }
      // Extra sections: every plain table as the JSON has it, every profile's chart and its table.
      const text = (v: string | number | null): string => (v === null ? "–" : String(v));
      for (const x of json.extra ?? []) {
        for (const t of x.tables) expect(seen.tables[t.id], t.id).toEqual(t.rows.map((r) => r.map(text)));
        for (const p of x.profiles) {
          const c = seen.charts.find((y) => y.id === `profile-${slug(p.id)}`);
          expect(c, p.id).toBeDefined();
          if (c === undefined) continue;
          // One bar per value, and every non-zero value a bar with an extent.
          expect(c.marks, p.id).toBe(c.points);
          expect(c.visible, p.id).toBeGreaterThanOrEqual(p.groups.flatMap((g) => g.values).filter((v) => v !== null && v !== 0).length);
          for (const g of p.groups) {
            expect(seen.profiles[p.id]?.[g.name], `${p.id} ${g.name}`).toEqual(g.values.map((v) => (v === null ? "–" : fmt(v, p.digits))));
            for (const v of g.values) if (v !== null) expect(c.texts, p.id).toContain(fmt(v, p.digits));
          }
        }
      }
    });
  }

  it("the harness sees what it must refuse: an external image, a script error, a chart without marks", async () => {
    const html = join(dir, "broken.html");
    const good = buildReport(abData);
    const broken = good
      .replace("<body>", '<body><img src="http://127.0.0.1:9/x.png" alt=""><script>throw new Error("boom")</script>')
      .replace("default-src 'none'", "default-src 'none'; script-src 'unsafe-inline'")
      .replace(/(<figure id="bars-p-oom"[^>]*>)<svg[\s\S]*?<\/svg>/, "$1<svg></svg>");
    writeFileSync(html, broken);
    const { seen, errors } = await inspect(browser, html, "broken.png");
    expect(errors.some((e) => e.includes("boom"))).toBe(true);
    expect(errors.some((e) => e.includes("Content Security Policy") || e.includes("127.0.0.1"))).toBe(true);
    expect(seen.charts.find((c) => c.id === "bars-p-oom")?.marks).toBe(0);
  });

  it("reads the same with JavaScript off: charts and tables are there", async () => {
    const html = join(dir, "nojs.html");
    writeFileSync(html, buildReport(abData));
    const ctx = await browser.newContext({ javaScriptEnabled: false });
    const page = await ctx.newPage();
    await page.goto(pathToFileURL(html).href);
    expect(await page.locator("figure[data-chart] svg").count()).toBe(abData.headline.length + 1 + abData.seriesSpecs.length);
    expect(await page.locator("table.metrics tbody tr").count()).toBe(abData.cells.length);
    await ctx.close();
  });
});

// Without chromium the skip is a named test in the report, not a silent absence.
if (exe === null) describe("report in chromium", () => it.skip(SKIP_REASON, () => {}));
