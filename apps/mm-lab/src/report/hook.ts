/**
 * The demo hook: an experiment that wants its run as a report page returns a `PendingReport`, and
 * its `run` awaits `writePendingReport` after printing its table. Light to import: ECharts loads
 * only when a page is written.
 */
import { MmError } from "@mm/api";
import type { ExperimentArgs, RunIO } from "../experiment.js";
import type { ReportData } from "./data.js";

/** A report an experiment asked for: where, and its data (built only if it is written). */
export interface PendingReport {
  readonly path: string;
  readonly data: () => ReportData;
}

/**
 * Where `--report <file>` / `--no-report` / the default put the page: the default path for a table
 * run, nothing for `--json` unless a file is named (stdout stays JSON lines).
 */
export function reportPath(args: ExperimentArgs, defaultPath: string): string | null {
  const r = args.report;
  if (r === false) return null;
  if (typeof r === "string") {
    if (r.trim() === "") throw new MmError("EINVAL", "--report expects a file name");
    return r;
  }
  return args.json === true ? null : defaultPath;
}

/** The CLI options every reporting experiment adds (commander: no default, so absent stays undefined). */
export function reportOptions(defaultPath: string): { flags: string; description: string }[] {
  return [
    { flags: "--report <file>", description: `also write an HTML report (default ${defaultPath}; none with --json)` },
    { flags: "--no-report", description: "do not write the HTML report" },
  ];
}

/** Write the pending report and print its path (after the table the experiment printed). */
export async function writePendingReport(p: PendingReport, io: RunIO): Promise<void> {
  const { writeReport } = await import("./write.js");
  writeReport(p.data(), p.path, io);
  io.write(`report: ${p.path}\n`);
}
