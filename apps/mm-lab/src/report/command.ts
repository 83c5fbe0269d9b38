/**
 * `mm-lab report <results.duckdb | run JSON> -o report.html`: load, adapt to report data, write
 * one self-contained page, print its path.
 */
import { writeFileSync } from "node:fs";
import { Command } from "commander";
import type { RunIO } from "../experiment.js";
import type { JsonValue, ReportData } from "./data.js";
import { importReportData, type ImportJson } from "./from-import.js";
import { asSavedReportData, isDuckDbFile, readJsonDocuments, REPORT_DATA_FORMAT } from "./load.js";
import { fromRunJson } from "./from-run-json.js";
import { storeReportData } from "./from-store.js";

/** `mm-lab import --json` output (the import line, then its `{"mmLab":…}` record) as report data, or null if it is not that. */
function fromImportJson(docs: readonly unknown[]): ReportData | null {
  const first = docs[0] as Partial<ImportJson> | undefined;
  if (typeof first !== "object" || first === null || typeof first.import !== "object" || typeof first.whatIf !== "object") return null;
  const rec = (docs[1] as { mmLab?: Record<string, unknown> } | undefined)?.mmLab ?? {};
  const text = (v: unknown): string | null => (typeof v === "string" ? v : null);
  const seed = (rec.options as { seed?: unknown } | undefined)?.seed;
  return importReportData(first as ImportJson, (rec as JsonValue) ?? null, { version: text(rec.version) ?? "not in the input", revision: text(rec.revision) }, typeof seed === "number" ? seed : 0);
}

/** Input file -> report data, whichever kind it is. @throws MmError EINVAL / PARSE_ERROR */
export async function loadReportData(path: string, experiment: string): Promise<ReportData> {
  if (isDuckDbFile(path)) return storeReportData(path);
  const docs = readJsonDocuments(path);
  const saved = docs.length === 1 ? asSavedReportData(docs[0]) : null;
  if (saved !== null) return Promise.resolve(saved);
  const imported = fromImportJson(docs);
  if (imported !== null) return Promise.resolve(imported);
  return Promise.resolve(fromRunJson(docs, experiment));
}

/** The `report` command; `io` gives it the CLI's progress bars and output. */
export function reportCommand(io: RunIO): Command {
  return new Command("report")
    .description("write one self-contained HTML page with charts from a results store or a run JSON")
    .argument("<input>", "a DuckDB results store (mm-lab sweep, merge), a run JSON (mm-lab run --json) or an import JSON (mm-lab import --json)")
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
