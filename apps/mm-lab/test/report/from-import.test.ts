/**
 * `mm-lab import <dir> --report`: the page is built from the import's JSON (the same bytes as
 * `mm-lab report` of that JSON), shows the match report's numbers as they are, parses the extfrag
 * text exactly as the kernel's formulas give it, and is deterministic.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { contigPageInfo, formatExtfragIndex, formatUnusableIndex, fragmentationIndex, unusableFreeIndex } from "@mm/buddy";
import { buildReport } from "../../src/report/build.js";
import { importReportData, ownerFrame, parseExtfragText, type ImportJson } from "../../src/report/from-import.js";
import { cliMain } from "../cli-helper.js";

const FIXTURE = fileURLToPath(new URL("../../../../fixtures/kernel-6.1-256M/", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "mm-report-import-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("parseExtfragText", () => {
  it("reads back the values mm/vmstat.c's formulas give, per zone and order", () => {
    const rows = [
      { node: 0, zone: "DMA", counts: [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 3] },
      { node: 0, zone: "DMA32", counts: [5, 1, 0, 2, 2, 0, 0, 1, 1, 1, 30] },
      { node: 0, zone: "Normal", counts: [9, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0] },
    ];
    const unusable = parseExtfragText(formatUnusableIndex(rows));
    const extfrag = parseExtfragText(formatExtfragIndex(rows));
    expect(unusable.map((r) => r.zone)).toEqual(["DMA", "DMA32", "Normal"]);
    rows.forEach((row, z) => {
      row.counts.forEach((_, o) => {
        const info = contigPageInfo(row.counts, o);
        expect(unusable[z]?.values[o]).toBe(unusableFreeIndex(o, info) / 1000);
        expect(extfrag[z]?.values[o]).toBe(fragmentationIndex(o, info) / 1000);
      });
    });
    // The Normal zone's high orders fail for fragmentation: the index is positive there.
    expect(extfrag[2]?.values[10]).toBeGreaterThan(0);
  });
});

describe("mm-lab import --report", () => {
  const json = join(dir, "import.json");
  const page = join(dir, "import.html");

  it("writes the page and prints its path; the page equals `mm-lab report` of the import JSON", async () => {
    const r = await cliMain("import", FIXTURE, "--what-if", "all", "--report", page);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`\\nreport: ${page}\\n$`));
    const j = await cliMain("import", FIXTURE, "--what-if", "all", "--json");
    writeFileSync(json, j.out);
    const again = join(dir, "again.html");
    expect((await cliMain("report", json, "-o", again)).code).toBe(0);
    expect(readFileSync(again, "utf8")).toBe(readFileSync(page, "utf8"));
    // --json keeps stdout JSON only; the page is still written, and it is the same page.
    const quiet = join(dir, "quiet.html");
    const q = await cliMain("import", FIXTURE, "--what-if", "all", "--json", "--report", quiet);
    expect(q.out).toBe(j.out);
    expect(readFileSync(quiet, "utf8")).toBe(readFileSync(page, "utf8"));
  });

  it("shows what matched with the capture's numbers: free pages, buddyinfo, mixed blocks, the what-ifs", () => {
    const lines = readFileSync(json, "utf8").trim().split("\n");
    const j = JSON.parse(lines[0] ?? "") as ImportJson;
    const d = importReportData(j, null, { version: "0.0.0", revision: "test" }, 0);
    const byId = (id: string) => d.extra?.find((x) => x.id === id);
    const match = byId("match");
    const r = j.import.report;
    // Free pages against zoneinfo, per zone, with the explanation's terms.
    const free = match?.tables.find((t) => t.id === "free-table");
    expect(free?.rows).toEqual(r.free.zones?.map((z) => [z.zone, z.imported, z.real, z.diff, z.pcpPages, z.drift, z.reservedShortfall]));
    expect(match?.paragraphs.join(" ")).toContain(`the imported machine has ${r.free.imported}, MemFree says ${r.free.memFree}`);
    // buddyinfo, imported against real, per zone and order.
    for (const z of r.buddyinfo?.zones ?? []) {
      const p = match?.profiles.find((x) => x.id === `buddyinfo-${z.zone}`);
      expect(p?.groups.map((g) => g.values)).toEqual([z.imported, z.real]);
    }
    // Mixed blocks: the fixture's pagetypeinfo has them, and the dump reproduces them.
    const mixed = match?.profiles.filter((x) => x.id.startsWith("mixed-"));
    expect(mixed?.length).toBe(r.pagetypeinfo?.mixed?.length);
    for (const p of mixed ?? []) expect(p.groups[0]?.values).toEqual(p.groups[1]?.values);
    // One cell per reporting policy, its numbers the what-if's.
    expect(d.cells.map((c) => c.policy)).toEqual(j.whatIf.reporting?.map((x) => x.policy));
    for (const w of j.whatIf.reporting ?? []) expect(d.cells.find((c) => c.policy === w.policy)?.metrics.peakIsolated?.value).toBe(w.peakIsolated);
    // Fragmentation: the indices per order as the JSON's kernel-format text says, and the blockers.
    const frag = byId("fragmentation");
    const f = j.whatIf.fragmentation;
    expect(frag?.profiles.find((p) => p.id === "unusable-DMA32")?.groups[0]?.values).toEqual(parseExtfragText(f?.unusableIndex ?? "").find((x) => x.zone === "DMA32")?.values);
    const blockers = frag?.tables.find((t) => t.id === "blockers-table");
    expect(blockers?.rows.length).toBe(f?.census.reduce((s, c) => s + c.blockers.length, 0));
    expect(blockers?.rows[0]?.[1]).toBe(ownerFrame(f?.stacks.find((s) => s.handle === f.census[0]?.blockers[0]?.handle)?.frames ?? []));
    expect(frag?.pre.map((p) => p.text)).toContain(f?.unusableIndex);
  });

  it("without what-ifs: the match report only, and the page says what was not run", async () => {
    const out = join(dir, "plain.html");
    expect((await cliMain("import", FIXTURE, "--report", out)).code).toBe(0);
    const html = readFileSync(out, "utf8");
    expect(html).toContain("Not run: what-if reporting, fragmentation");
    expect(html).toContain('data-table="free-table"');
    expect(html).not.toContain('id="reporting"');
    expect(html).not.toContain('id="numbers"');
  });

  it("--report with no file name is one EINVAL line, exit 2", async () => {
    const r = await cliMain("import", FIXTURE, "--report", "");
    expect(r.code).toBe(2);
    expect(r.err).toBe("mm-lab: EINVAL: --report expects a file name\n");
  });

  it("the page is a pure function of the import's JSON", () => {
    const j = JSON.parse(readFileSync(json, "utf8").split("\n")[0] ?? "") as ImportJson;
    const a = buildReport(importReportData(j, { dir: "x" }, { version: "1", revision: "r" }, 0));
    const b = buildReport(importReportData(structuredClone(j), { dir: "x" }, { version: "1", revision: "r" }, 0));
    expect(b).toBe(a);
  });
});
