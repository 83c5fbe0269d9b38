/**
 * Report data -> a file on disk, with a progress bar over the charts; the one call the CLI command
 * and the experiments' demo hook share.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { RunIO } from "../experiment.js";
import type { ReportData } from "./data.js";
import { buildReport, reportSteps } from "./build.js";

/** Build the page for `data`, write it to `path` (creating its folder), and return the HTML. */
export function writeReport(data: ReportData, path: string, io: Pick<RunIO, "progress">): string {
  const bar = io.progress(reportSteps(data), "report");
  let html: string;
  try {
    html = buildReport(data, () => bar.tick());
  } finally {
    bar.stop();
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, html);
  return html;
}
