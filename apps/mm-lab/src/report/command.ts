/**
 * `mm-lab report <results.duckdb | run JSON> -o report.html`: load, adapt to report data, write
 * one self-contained page, print its path.
 */
import { writeFileSync } from "node:fs";
import { Command } from "commander";
import type { RunIO } from "../experiment.js";
import type { ReportData } from "./data.js";
import { asSavedReportData, isDuckDbFile, readJsonDocuments, REPORT_DATA_FORMAT } from "./load.js";
import { fromRunJson } from "./from-run-json.js";
import { storeReportData } from "./from-store.js";

/** Input file -> report data, whichever kind it is. @throws MmError EINVAL / PARSE_ERROR */
export async function loadReportData(path: string, experiment: string): Promise<ReportData> {
  if (isDuckDbFile(path)) return storeReportData(path);
  const docs = readJsonDocuments(path);
  const saved = docs.length === 1 ? asSavedReportData(docs[0]) : null;
  if (saved !== null) return Promise.resolve(saved);
  return Promise.resolve(fromRunJson(docs, experiment));
}

/** The `report` command; `io` gives it the CLI's progress bars and output. */
export function reportCommand(io: RunIO): Command {
  return new Command("report")
    .description("write one self-contained HTML page with charts from a results store or a run JSON")
    .argument("<input>", "a DuckDB results store (mm-lab sweep) or a run JSON (mm-lab run --json)")
    .requiredOption("-o, --out <file>", "the HTML file to write")
    .option("--data <file>", "also write the report data (the JSON every number on the page comes from)")
    .option("--experiment <name>", "the experiment a run JSON came from (the page title)", "mm-lab run")
    .action(async (input: string, opts: { out: string; data?: string; experiment: string }) => {
      const data = await loadReportData(input, opts.experiment);
      // ECharts loads only when a report is written (about 0.3 s), not for every mm-lab command.
      const { writeReport } = await import("./write.js");
      writeReport(data, opts.out, io);
      if (opts.data !== undefined) writeFileSync(opts.data, `${JSON.stringify({ format: REPORT_DATA_FORMAT, data })}\n`);
      io.write(`${opts.out}\n`);
    });
}
