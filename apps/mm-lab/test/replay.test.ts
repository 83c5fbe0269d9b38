/**
 * `mm-lab replay` on the QEMU capture of Debian's 6.1 kernel (fixtures/trace-6.1-qemu): the
 * text and JSON outputs, the HTML report's data, and bad input as one stderr line with exit 2.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { replayTrace, systemRamRanges } from "@mm/trace";
import { checkReportData } from "../src/report/data.js";
import { replayReportData } from "../src/report/from-replay.js";
import { cliMain } from "./cli-helper.js";

const dir = new URL("../../../fixtures/trace-6.1-qemu/", import.meta.url).pathname;
const trace = `${dir}trace.txt.br`;

describe("mm-lab replay", () => {
  it("prints the replay and writes a report whose data checks out", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "mm-replay-")), "r.html");
    const r = await cliMain("replay", trace, "--capture", dir, "--samples", "10", "--report", out);
    expect(r.code).toBe(0);
    expect(r.err).toBe("");
    expect(r.out).toMatch(/ftrace, 243056 events on 2 CPUs, 0 lost/);
    expect(r.out).toMatch(/vs the capture's buddyinfo at the end/);
    expect(r.out).toContain(`report: ${out}`);
    const html = readFileSync(out, "utf8");
    expect(html).toContain("<svg");
  });

  it("report data from a replay passes the report's cross-checks, one line per policy and series", async () => {
    const res = await replayTrace(trace, { ranges: systemRamRanges(readFileSync(`${dir}start-iomem`, "utf8")), samples: 8, maxEvents: 20000 });
    const d = replayReportData(res, "t", {}, { version: "0", revision: null });
    checkReportData(d);
    expect(d.policies).toEqual(["kernel's choices", "model's choices"]);
    expect(d.series.filter((l) => l.series === "freeHuge")).toHaveLength(2);
    expect(d.cells.map((c) => c.metrics.freeHuge?.value)).toEqual([res.series.real.at(-1)?.freeHugePercent, res.series.model?.at(-1)?.freeHugePercent]);
  });

  it("bad input: one line on stderr, exit 2", async () => {
    for (const args of [["replay", "/nonexistent/trace"], ["replay", trace, "--samples", "x"], ["replay", trace, "--format", "pcap"]]) {
      const r = await cliMain(...args);
      expect(r.code).toBe(2);
      expect(r.err.trim().split("\n")).toHaveLength(1);
      expect(r.err).toMatch(/^mm-lab: /);
    }
  });
});
