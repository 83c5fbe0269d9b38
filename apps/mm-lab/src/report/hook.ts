/**
 * The demo hook: an experiment that wants its run as a report page returns a `PendingReport`, and
 * its `run` awaits `writePendingReport` after printing its table. Light to import: ECharts loads
 * only when a page is written.
 */
import { MmError } from "@mm/api";
import type { RunIO } from "../experiment.js";
import type { ReportData } from "./data.js";

/** A report an experiment asked for: where, and its data (built only if it is written). */
export interface PendingReport {
  readonly path: string;
  readonly data: () => ReportData;
}

/**
 * Where the page goes: `--report <file>`, none for `--report none`, and by default `defaultPath`
 * for a table run and none for `--json` (stdout stays JSON lines).
 */
export function reportPath(report: string | null, json: boolean, defaultPath: string): string | null {
  if (report === null) return json ? null : defaultPath;
  if (report.trim() === "") throw new MmError("EINVAL", "--report expects a file name (or none)");
  return report === "none" ? null : report;
}

/** Write the pending report and print its path (after the table the experiment printed). */
export async function writePendingReport(p: PendingReport, io: RunIO): Promise<void> {
  const { writeReport } = await import("./write.js");
  writeReport(p.data(), p.path, io);
  io.write(`report: ${p.path}\n`);
}
