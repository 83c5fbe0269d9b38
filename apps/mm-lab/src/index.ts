/** @mm/lab: the experiment API, the sweep engine and the stores, for experiments and reports. */
export type { AnyExperiment, Experiment, MetricKind, MetricSpec, MetricValue, PolicyAxis, RunIO, RunOutput, RunRequest, RunSeries, SeedDefaults } from "./experiment.js";
export { defineExperiment } from "./experiment.js";
export * from "./params.js";
export { experiments } from "./experiments/index.js";
export { experimentByName, main, runCli } from "./cli.js";
export { provenance, type Provenance } from "./provenance.js";
export { resolveRequest } from "./request.js";
export { makePlan, parseShard, shardTasks, taskAt, type Plan, type Shard, type SweepSpec, type TaskRef } from "./sweep/plan.js";
export { runSweep, type SweepOptions, type SweepResult } from "./sweep/run.js";
export { runTasks, closePool, defaultJobs, PREFETCH, type PoolOptions, type PoolProfile } from "./sweep/pool.js";
export { threadCpuNs } from "./sweep/thread-cpu.js";
export { summarize, formatSummary, headlineMetric, type CellStat, type MetricStat } from "./sweep/summary.js";
export { parseGrid, gridPoints, lhsPoints, type Axis } from "./sweep/grid.js";
export { wilson, overlaps, Z95, type Interval } from "./stats/wilson.js";
export { bootstrapMean, mean } from "./stats/bootstrap.js";
export { ResultsStore, type SessionRecord, type SweepMeta } from "./store/duckdb.js";
export { rowsToJsonl, rowToJson, type SweepRow } from "./store/rows.js";
export { mergeStores, queryDb } from "./commands/query.js";
