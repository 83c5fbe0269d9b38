/**
 * Report data -> a file on disk, with a progress bar over the charts; the one call the CLI command
 * and the experiments' demo hook share. Imports ECharts: load it lazily (see hook.ts).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { RunIO } from "../experiment.js";
import type { ReportData } from "./data.js";
import { buildReport, reportSteps } from "./build.js";

/** Build the page for `data` and write it to `path` (through `io.writeFile` when given, else to disk, creating the folder). */
export function writeReport(data: ReportData, path: string, io: Pick<RunIO, "progress" | "writeFile">): string {
  const bar = io.progress(reportSteps(data), "report");
  let html: string;
  try {
    html = buildReport(data, () => bar.tick());
  } finally {
    bar.stop();
  }
  if (io.writeFile !== undefined) io.writeFile(path, html);
  else {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, html);
  }
  return html;
}
