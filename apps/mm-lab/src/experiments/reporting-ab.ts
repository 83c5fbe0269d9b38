/**
 * `mm-lab run reporting-ab`: free page reporting under the kernel's fixed scatterlist capacity and
 * under each seed-004 fix, on a 512 MiB guest whose free memory is mostly order-10 blocks when
 * the reporting worker wakes up. The project's main job (the README's demo command).
 */
import { writeFileSync } from "node:fs";
import { MmError } from "@mm/api";
import type { Experiment, ExperimentArgs, RunIO } from "../experiment.js";
import {
  type AbConfig,
  checkAbConfig,
  DEFAULT_AB,
  DEFAULT_SWEEP_GUESTS,
  DEFAULT_SWEEP_ORDERS,
  runAb,
  runSweep,
  type SweepConfig,
} from "./reporting/ab.js";
import { formatAbJson, formatAbTable, formatSeriesCsv, formatSweepJson, formatSweepTable } from "./reporting/format.js";
import { checkScenarioConfig, DEFAULT_SCENARIO, type ScenarioConfig } from "./reporting/scenario.js";
import { abReportData, sweepReportData } from "./reporting/report-data.js";
import { type PendingReport, reportOptions, reportPath, writePendingReport } from "../report/hook.js";
import { gitRevision, labVersion } from "../report/provenance.js";

/** Where the README's main command writes its report. */
export const DEFAULT_REPORT = "reports/reporting-ab.html";

function int(args: ExperimentArgs, key: string, fallback: number): number {
  const v = args[key];
  if (v === undefined || typeof v === "boolean") return fallback;
  if (!/^-?\d+$/.test(v.trim())) throw new MmError("EINVAL", `--${key} expects an integer, got "${v}"`);
  return Number(v);
}

function num(args: ExperimentArgs, key: string, fallback: number): number {
  const v = args[key];
  if (v === undefined || typeof v === "boolean") return fallback;
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n)) throw new MmError("EINVAL", `--${key} expects a number, got "${v}"`);
  return n;
}

function list(args: ExperimentArgs, key: string): string[] | undefined {
  const v = args[key];
  if (v === undefined || typeof v === "boolean") return undefined;
  return v
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

function intList(args: ExperimentArgs, key: string, fallback: readonly number[]): number[] {
  const l = list(args, key);
  if (l === undefined) return [...fallback];
  return l.map((s) => {
    if (!/^-?\d+$/.test(s)) throw new MmError("EINVAL", `--${key} expects integers, got "${s}"`);
    return Number(s);
  });
}

/** CLI arguments -> the A/B configuration (validated). Exported for tests. */
export function abConfigFromArgs(args: ExperimentArgs): AbConfig {
  const scenario: ScenarioConfig = {
    ...DEFAULT_SCENARIO,
    guestMiB: int(args, "guestMib", DEFAULT_SCENARIO.guestMiB),
    reportingOrder: int(args, "reportingOrder", DEFAULT_SCENARIO.reportingOrder),
    restarts: int(args, "restarts", DEFAULT_SCENARIO.restarts),
    perRequestUs: num(args, "perRequestUs", DEFAULT_SCENARIO.perRequestUs),
    perMiBUs: num(args, "perMibUs", DEFAULT_SCENARIO.perMiBUs),
    // The report charts the series too (about 10 % more run time, measured on the default A/B).
    keepSeries: typeof args.series === "string" || reportPath(args, DEFAULT_REPORT) !== null,
  };
  checkScenarioConfig(scenario);
  const c: AbConfig = {
    scenario,
    policies: list(args, "policies") ?? DEFAULT_AB.policies,
    firstSeed: int(args, "seed", DEFAULT_AB.firstSeed),
    seeds: int(args, "seeds", DEFAULT_AB.seeds),
  };
  checkAbConfig(c);
  return c;
}

/** CLI arguments -> the sweep configuration (validated). */
export function sweepConfigFromArgs(args: ExperimentArgs): SweepConfig {
  const base = abConfigFromArgs({ ...args, seeds: args.sweepSeeds ?? "3", series: undefined, report: false });
  const c: SweepConfig = {
    base,
    guestsMiB: intList(args, "sweepGuests", DEFAULT_SWEEP_GUESTS),
    orders: intList(args, "sweepOrders", DEFAULT_SWEEP_ORDERS),
  };
  for (const g of c.guestsMiB) checkScenarioConfig({ ...base.scenario, guestMiB: g });
  for (const o of c.orders) checkScenarioConfig({ ...base.scenario, reportingOrder: o });
  return c;
}

/** Run with parsed arguments and write the outputs through `io`; returns the report to write, if any. */
export function runReportingAb(args: ExperimentArgs, io: RunIO): PendingReport | null {
  const json = args.json === true;
  const report = reportPath(args, DEFAULT_REPORT);
  if (args.sweep === true) {
    const c = sweepConfigFromArgs(args);
    const total = c.guestsMiB.length * c.orders.length * c.base.policies.length * c.base.seeds;
    const bar = io.progress(total, "reporting-ab sweep");
    let cells;
    try {
      cells = runSweep(c, () => bar.tick());
    } finally {
      bar.stop();
    }
    io.write(json ? formatSweepJson(cells) : formatSweepTable(c.base, cells));
    const done = cells;
    return report === null ? null : { path: report, data: () => sweepReportData(c, done, labVersion(), gitRevision()) };
  }
  const c = abConfigFromArgs(args);
  const bar = io.progress(c.policies.length * c.seeds, "reporting-ab");
  let rows;
  try {
    rows = runAb(c, () => bar.tick());
  } finally {
    bar.stop();
  }
  io.write(json ? formatAbJson(rows) : formatAbTable(c, rows));
  if (typeof args.series === "string") {
    const csv = formatSeriesCsv(rows);
    if (io.writeFile !== undefined) io.writeFile(args.series, csv);
    else writeFileSync(args.series, csv);
  }
  const done = rows;
  return report === null ? null : { path: report, data: () => abReportData(c, done, labVersion(), gitRevision()) };
}

export const reportingAb: Experiment = {
  name: "reporting-ab",
  summary: "free page reporting: the kernel's fixed capacity vs the seed-004 fixes (OOM on a 512 MiB guest)",
  options: [
    { flags: "--seeds <n>", description: "seeds per policy", defaultValue: String(DEFAULT_AB.seeds) },
    { flags: "--seed <n>", description: "first seed", defaultValue: String(DEFAULT_AB.firstSeed) },
    { flags: "--policies <list>", description: "comma-separated policies (off = no reporting)", defaultValue: DEFAULT_AB.policies.join(",") },
    { flags: "--guest-mib <n>", description: "guest memory in MiB", defaultValue: String(DEFAULT_SCENARIO.guestMiB) },
    { flags: "--reporting-order <n>", description: "page_reporting_order (-1 = pageblock order)", defaultValue: String(DEFAULT_SCENARIO.reportingOrder) },
    { flags: "--restarts <n>", description: "service restarts per run", defaultValue: String(DEFAULT_SCENARIO.restarts) },
    { flags: "--per-request-us <n>", description: "device cost per report() call, µs", defaultValue: String(DEFAULT_SCENARIO.perRequestUs) },
    { flags: "--per-mib-us <n>", description: "device cost per MiB reported, µs", defaultValue: String(DEFAULT_SCENARIO.perMiBUs) },
    { flags: "--series <file>", description: "write a chart-ready CSV time series (host memory, free, isolated, failures)" },
    { flags: "--sweep", description: "sweep guest size x reporting order instead of one A/B" },
    { flags: "--sweep-seeds <n>", description: "seeds per sweep cell", defaultValue: "3" },
    { flags: "--sweep-guests <list>", description: "guest sizes in MiB for --sweep", defaultValue: DEFAULT_SWEEP_GUESTS.join(",") },
    { flags: "--sweep-orders <list>", description: "reporting orders for --sweep", defaultValue: DEFAULT_SWEEP_ORDERS.join(",") },
    ...reportOptions(DEFAULT_REPORT),
  ],
  async run(args, io) {
    const report = runReportingAb(args, io);
    if (report !== null) await writePendingReport(report, io);
  },
};
