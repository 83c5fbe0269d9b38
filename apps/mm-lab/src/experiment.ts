/**
 * The experiment API: how an experiment plugs into `mm-lab run`, `mm-lab sweep` and the stores.
 *
 * An experiment is one wiring of the @mm packages. It declares, once:
 *   - `params`: its typed parameter space (`params.ts`). The CLI derives every flag, `--help`,
 *     validation and the sweep axes from it; nothing parses arguments by hand.
 *   - `policies` (optional): the policy axis, the thing an A/B compares. A sweep runs every chosen
 *     policy at every grid point with the same seeds, and the table marks where two policies'
 *     intervals overlap. Experiments without one run a single unnamed arm.
 *   - `seeds`: the first seed and how many seeds a run uses by default, and why.
 *   - `metrics`: the named scalars one run yields. `kind: "bool"` is a per-run yes/no (a failure,
 *     a hit): across seeds it is a proportion with a Wilson 95 % interval. `kind: "number"` is a
 *     per-run quantity: across seeds a mean with a seeded bootstrap 95 % interval. `null` means "not
 *     measured in this run" (e.g. never reached 90 %) and is left out of the mean, counted apart.
 *     Metric names become columns of the DuckDB `results` table, beside every parameter.
 *   - `runOne(config, seed, policy)`: ONE run, a pure deterministic function of its arguments
 *     (no clock, no global state, no I/O): same arguments -> the same metrics, bit for bit, in
 *     any process and in any order. This is what the sweep engine calls, on worker threads, and
 *     what makes a sharded sweep equal the one-machine run.
 *   - `report(request, io)` (optional): the person-readable `mm-lab run` output (the experiment's
 *     own table). Without it, `run` prints one row per (policy, seed) of `runOne`'s metrics.
 *
 * `mm-lab run <name> [flags]` resolves the flags into a config (`resolveConfig`), calls `check`,
 * then `report` (or the generic table), and appends the provenance: the resolved config, the seeds,
 * the package version and the git revision — a footer under the table, and with `--json` a last
 * JSON line `{"mmLab":{...}}` — so any number printed can be re-run exactly.
 *
 * `mm-lab sweep <name> --grid 'a=1..4:1,b=x,y' --seeds 30` expands the grid (or an LHS sample)
 * over the parameters with `isAxis`, lays out cells x policies x seeds in a fixed order, and sends
 * `(experiment name, config, seed, policy)` to workers that import this registry and call
 * `runOne`. Results are stored per (cell, policy, seed); statistics are computed from the store.
 *
 * Adding an experiment: write a file under `experiments/` exporting an `Experiment` built with
 * `defineExperiment`, and add it to `experiments/index.ts`.
 */
import type { AnyConfig, ConfigOf, ParamSpace } from "./params.js";

/** How a metric aggregates over seeds. */
export type MetricKind = "bool" | "number";

export interface MetricSpec {
  /** bool: proportion + Wilson 95 %; number: mean + seeded bootstrap 95 %. */
  readonly kind: MetricKind;
  readonly unit?: string;
  readonly doc: string;
}

export type MetricValue = number | boolean | null;

/** A time series of one run: named columns, rows of numbers (e.g. a chart's samples). */
export interface RunSeries {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly number[])[];
}

export interface RunOutput<M extends string = string> {
  readonly metrics: Readonly<Record<M, MetricValue>>;
  readonly series?: RunSeries;
}

/** The policy axis: names, the default selection, and why those. */
export interface PolicyAxis {
  readonly values: readonly string[];
  readonly default: readonly string[];
  readonly doc: string;
  readonly why: string;
}

/** Default seeds: `first`, `first + 1`, ... `first + count - 1`. */
export interface SeedDefaults {
  readonly first: number;
  readonly count: number;
  readonly why: string;
  /** Does the `run` path take `--seeds` (several seeds)? Single-seed reports say false. @defaultValue true */
  readonly many?: boolean;
}

/** What `mm-lab run` resolved: the config, the seeds and the policies, ready to run. */
export interface RunRequest<C extends AnyConfig = AnyConfig> {
  readonly config: C;
  readonly seeds: readonly number[];
  /** Chosen policies in table order; `[]` when the experiment has no policy axis. */
  readonly policies: readonly string[];
  readonly json: boolean;
}

export interface Progress {
  tick(n?: number): void;
  stop(): void;
}

export interface RunIO {
  /** Write to stdout (tables, JSON lines). */
  write(text: string): void;
  /** Progress on stderr while a long run goes on; a no-op when stderr is not a TTY or with --json. */
  progress(total: number, label: string): Progress;
  /** Write a side output file (e.g. a series CSV); optional so test doubles may capture it instead. */
  writeFile?(path: string, text: string): void;
}

export interface Experiment<P extends ParamSpace = ParamSpace, M extends string = string> {
  readonly name: string;
  readonly summary: string;
  readonly params: P;
  readonly policies?: PolicyAxis;
  readonly seeds: SeedDefaults;
  readonly metrics: Readonly<Record<M, MetricSpec>>;
  /** Cross-parameter checks beyond each parameter's own range. @throws MmError EINVAL */
  check?(config: ConfigOf<P>): void;
  /** One run: pure and deterministic. `policy` is undefined when there is no policy axis. */
  runOne(config: ConfigOf<P>, seed: number, policy: string | undefined): RunOutput<M>;
  /** The `run` path's own output (tables, side files). */
  report?(req: RunRequest<ConfigOf<P>>, io: RunIO): Promise<void> | void;
}

/**
 * An experiment of the registry, with its types erased: what the CLI, the sweep engine and the
 * workers handle. `defineExperiment` checks the declaration and erases.
 */
export type AnyExperiment = Experiment<ParamSpace, string>;

/** Declare an experiment with its literal types checked, then hand it to the registry. */
export function defineExperiment<const P extends ParamSpace, const M extends string>(e: Experiment<P, M>): AnyExperiment {
  const reserved = ["seed", "seeds", "policies", "policy", "json", "help", "config"];
  for (const name of Object.keys(e.params)) {
    if (reserved.includes(name)) throw new Error(`${e.name}: parameter name "${name}" is reserved by the CLI`);
    if (name in e.metrics) throw new Error(`${e.name}: "${name}" is both a parameter and a metric`);
  }
  if (e.policies !== undefined) {
    for (const p of e.policies.default) if (!e.policies.values.includes(p)) throw new Error(`${e.name}: default policy ${p} unknown`);
  }
  return e;
}
