/**
 * `mm-lab run reporting-ab`: the seed-004 experiment as a map — P(OOM) per free page reporting
 * policy over start delay, device speed, freed size and guest size, with host memory returned —
 * on a guest whose free memory got its shape from what ran before. The README's demo command.
 */
import { writeFileSync } from "node:fs";
import { MmError } from "@mm/api";
import type { Experiment, ExperimentArgs, RunIO } from "../experiment.js";
import { formatMapJson, formatMapTable } from "./reporting/format.js";
import { checkMapConfig, DEFAULT_MAP, mapJobs, type MapConfig, runMapParallel } from "./reporting/map.js";
import { centreSeries } from "./reporting/series.js";

function int(args: ExperimentArgs, key: string, fallback: number): number {
  const v = args[key];
  if (v === undefined || typeof v === "boolean") return fallback;
  if (!/^-?\d+$/.test(v.trim())) throw new MmError("EINVAL", `--${key} expects an integer, got "${v}"`);
  return Number(v);
}

function list(args: ExperimentArgs, key: string): string[] | undefined {
  const v = args[key];
  if (v === undefined || typeof v === "boolean") return undefined;
  return v
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

function numList(args: ExperimentArgs, key: string, fallback: readonly number[]): number[] {
  const l = list(args, key);
  if (l === undefined) return [...fallback];
  return l.map((s) => {
    const n = Number(s);
    if (s === "" || !Number.isFinite(n)) throw new MmError("EINVAL", `--${key} expects numbers, got "${s}"`);
    return n;
  });
}

/** CLI arguments -> the map (validated). Exported for tests. */
export function mapConfigFromArgs(args: ExperimentArgs): MapConfig {
  const layout = args.layout ?? DEFAULT_MAP.layout;
  if (layout !== "slices" && layout !== "full") throw new MmError("EINVAL", `--layout expects slices or full, got "${String(layout)}"`);
  const c: MapConfig = {
    base: DEFAULT_MAP.base,
    policies: list(args, "policies") ?? DEFAULT_MAP.policies,
    axes: {
      startDelayRatio: numList(args, "delays", DEFAULT_MAP.axes.startDelayRatio),
      device: list(args, "devices") ?? DEFAULT_MAP.axes.device,
      freedMiB: numList(args, "freed", DEFAULT_MAP.axes.freedMiB),
      guestMiB: numList(args, "guests", DEFAULT_MAP.axes.guestMiB),
    },
    layout,
    seeds: int(args, "seeds", DEFAULT_MAP.seeds),
    firstSeed: int(args, "seed", DEFAULT_MAP.firstSeed),
  };
  checkMapConfig(c);
  return c;
}

/** Run with parsed arguments and write the outputs through `io`. */
export async function runReportingAb(args: ExperimentArgs, io: RunIO): Promise<void> {
  const c = mapConfigFromArgs(args);
  const total = mapJobs(c).jobs.length;
  const bar = io.progress(total, "reporting-ab map");
  const t0 = performance.now();
  let cells;
  try {
    cells = await runMapParallel(c, () => bar.tick());
  } finally {
    bar.stop();
  }
  const wallMs = performance.now() - t0;
  // wall time goes to the table only with --timing: the output stays a function of seed and options
  io.write(args.json === true ? formatMapJson(cells) : formatMapTable(c, cells, args.timing === true ? wallMs : undefined));
  if (typeof args.series === "string") {
    const text = centreSeries(c).map((l) => JSON.stringify(l)).join("\n") + "\n";
    if (io.writeFile !== undefined) io.writeFile(args.series, text);
    else writeFileSync(args.series, text);
  }
}

export const reportingAb: Experiment = {
  name: "reporting-ab",
  summary: "free page reporting: P(OOM) of the kernel's fixed capacity vs the seed-004 fixes, mapped over delay, device, freed and guest size",
  options: [
    { flags: "--seeds <n>", description: "seeds per cell", defaultValue: String(DEFAULT_MAP.seeds) },
    { flags: "--seed <n>", description: "first seed", defaultValue: String(DEFAULT_MAP.firstSeed) },
    { flags: "--policies <list>", description: "comma-separated policies (off = no reporting)", defaultValue: DEFAULT_MAP.policies.join(",") },
    { flags: "--layout <kind>", description: "slices (delay x device and guest x freed through the centre) or full (the product)", defaultValue: DEFAULT_MAP.layout },
    { flags: "--delays <list>", description: "start delays in PAGE_REPORTING_DELAYs", defaultValue: DEFAULT_MAP.axes.startDelayRatio.join(",") },
    { flags: "--devices <list>", description: "host models (thp-host, 4k-host, slow-host)", defaultValue: DEFAULT_MAP.axes.device.join(",") },
    { flags: "--freed <list>", description: "freed sizes in MiB", defaultValue: DEFAULT_MAP.axes.freedMiB.join(",") },
    { flags: "--guests <list>", description: "guest sizes in MiB", defaultValue: DEFAULT_MAP.axes.guestMiB.join(",") },
    { flags: "--series <file>", description: "write the centre's time series per policy (JSON lines: series, policy, seed, t, y)" },
    { flags: "--timing", description: "print runs/s and wall time under the table" },
  ],
  run: runReportingAb,
};
