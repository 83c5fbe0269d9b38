/**
 * `mm-lab run alloc-stall`: seed 003's question, "how to make warn_alloc() reliable?", measured.
 * Three scenarios make real allocation stalls (slow reclaim behind a shrinker mutex, a blocked
 * oom_lock holder, 4000 threads at once); the 4.9 warn_alloc stall line and kmallocwd (as posted,
 * and bounded) report on the same runs; the table compares what each caught, how late, and how
 * much log it took.
 */
import { MmError } from "@mm/api";
import type { Experiment, ExperimentArgs, RunIO } from "../experiment.js";
import { formatJson, formatReport } from "./alloc-stall/format.js";
import { runScenario, type ScenarioResult } from "./alloc-stall/run.js";
import { SCENARIOS, scenarioByName } from "./alloc-stall/scenarios.js";

export interface AllocStallConfig {
  readonly scenarios: readonly string[];
  readonly seed: number;
  /** Shrinks task counts and durations for quick runs (0 < scale <= 1). */
  readonly scale: number;
}

export const DEFAULT_ALLOC_STALL: AllocStallConfig = { scenarios: Object.keys(SCENARIOS), seed: 1, scale: 1 };

/** CLI arguments -> configuration (validated). */
export function allocStallConfigFromArgs(args: ExperimentArgs): AllocStallConfig {
  const str = (k: string): string | undefined => (typeof args[k] === "string" ? args[k] : undefined);
  const seedText = str("seed");
  if (seedText !== undefined && !/^\d+$/.test(seedText.trim())) throw new MmError("EINVAL", `--seed expects an integer, got "${seedText}"`);
  const scaleText = str("scale");
  const scale = scaleText === undefined ? 1 : Number(scaleText);
  if (!(scale > 0 && scale <= 1)) throw new MmError("EINVAL", `--scale expects a number in (0, 1], got "${scaleText}"`);
  const list = str("scenario");
  const scenarios = list === undefined || list === "all" ? DEFAULT_ALLOC_STALL.scenarios : list.split(",").map((s) => s.trim());
  for (const s of scenarios) scenarioByName(s); // throws EINVAL for unknown names
  return { scenarios, seed: seedText === undefined ? 1 : Number(seedText), scale };
}

export function runAllocStall(c: AllocStallConfig, onDone?: () => void): ScenarioResult[] {
  return c.scenarios.map((name) => {
    const r = runScenario(scenarioByName(name, c.scale), c.seed);
    onDone?.();
    return r;
  });
}

export const allocStall: Experiment = {
  name: "alloc-stall",
  summary: "allocation stalls: warn_alloc's stall line vs the kmallocwd watchdog (seed 003)",
  options: [
    { flags: "--scenario <names>", description: `comma-separated: ${Object.keys(SCENARIOS).join(", ")} (or all)`, defaultValue: "all" },
    { flags: "--seed <n>", description: "simulation seed", defaultValue: "1" },
    { flags: "--scale <x>", description: "shrink task counts and durations, 0 < x <= 1 (quick runs)", defaultValue: "1" },
  ],
  run(args: ExperimentArgs, io: RunIO): void {
    const c = allocStallConfigFromArgs(args);
    const bar = io.progress(c.scenarios.length, "alloc-stall");
    const results = runAllocStall(c, () => bar.tick());
    bar.stop();
    io.write(args.json === true ? formatJson(results) : formatReport(results, c.seed));
  },
};
