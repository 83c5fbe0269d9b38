/**
 * `mm-lab run <experiment>`: flags derived from the experiment's parameter space, the experiment's
 * own report (or a generic per-run table), and the provenance footer / JSON line.
 */
import { Command, Option } from "commander";
import Table from "cli-table3";
import type { AnyExperiment, RunIO, RunRequest } from "../experiment.js";
import { flagOf, formatConfig, helpText, kebab, type ParamSpec, type RawArgs } from "../params.js";
import { provenance } from "../provenance.js";
import { policiesParam, resolveRequest } from "../request.js";

/** The `<placeholder>` of a flag in --help. */
function placeholder(s: ParamSpec): string {
  switch (s.kind) {
    case "text":
      return s.placeholder;
    case "list":
      return "list";
    case "enum":
      return s.values.join("|");
    case "duration":
    case "size":
      return s.unit;
    default:
      return s.kind === "int" ? "n" : "x";
  }
}

/** Add every parameter's flag (and the shared ones) to a commander command. */
export function addParamFlags(cmd: Command, exp: AnyExperiment, opts: { seeds: boolean }): Command {
  for (const [name, s] of Object.entries(exp.params)) {
    if (s.kind === "bool") {
      cmd.addOption(new Option(flagOf(name, s), helpText(s)));
      cmd.addOption(new Option(`--no-${s.flag ?? kebab(name)}`, `turn ${flagOf(name, s)} off`).hideHelp());
    } else cmd.addOption(new Option(`${flagOf(name, s)} <${placeholder(s)}>`, helpText(s)));
  }
  const pol = policiesParam(exp);
  if (pol !== undefined) cmd.addOption(new Option("--policies <list>", helpText(pol)));
  cmd.addOption(new Option("--seed <n>", `first seed; default ${exp.seeds.first}`));
  if (opts.seeds) cmd.addOption(new Option("--seeds <n>", `seeds per policy; default ${exp.seeds.count} (${exp.seeds.why})`));
  cmd.addOption(new Option("--config <file.json>", "parameters from a JSON object (flags override it)"));
  cmd.addOption(new Option("--json", "print JSON lines instead of a table"));
  return cmd;
}

/** The provenance of a run, as a JSON-ready object. */
export function runRecord(exp: AnyExperiment, req: RunRequest): Record<string, unknown> {
  const p = provenance();
  return {
    experiment: exp.name,
    config: req.config,
    seeds: { first: req.seeds[0] ?? 0, count: req.seeds.length },
    policies: req.policies,
    package: p.package,
    version: p.version,
    revision: p.revision,
  };
}

/** The footer under a table: config, seeds, policies, version, revision. */
export function formatFooter(exp: AnyExperiment, req: RunRequest): string {
  const p = provenance();
  const first = req.seeds[0] ?? 0;
  const seeds = req.seeds.length === 1 ? `seed ${first}` : `seeds ${first}..${first + req.seeds.length - 1}`;
  const pol = req.policies.length > 0 ? `; policies ${req.policies.join(",")}` : "";
  return (
    `\n# ${exp.name}: ${seeds}${pol}\n` +
    `# config: ${formatConfig(exp.params, req.config)}\n` +
    `# ${p.package} ${p.version}, git ${p.revision ?? "unknown"}\n`
  );
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return "-";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toFixed(3);
  return typeof v === "string" || typeof v === "boolean" ? String(v) : JSON.stringify(v);
}

/** Without an experiment's own report: one row per (policy, seed) of `runOne`'s metrics. */
export function genericReport(exp: AnyExperiment, req: RunRequest, io: RunIO): void {
  const policies = req.policies.length > 0 ? req.policies : [undefined];
  const bar = io.progress(policies.length * req.seeds.length, exp.name);
  const metricNames = Object.keys(exp.metrics);
  const rows: { policy: string | undefined; seed: number; metrics: Readonly<Record<string, unknown>> }[] = [];
  try {
    for (const policy of policies)
      for (const seed of req.seeds) {
        rows.push({ policy, seed, metrics: exp.runOne(req.config, seed, policy).metrics });
        bar.tick();
      }
  } finally {
    bar.stop();
  }
  if (req.json) {
    for (const r of rows) io.write(`${JSON.stringify({ ...(r.policy === undefined ? {} : { policy: r.policy }), seed: r.seed, ...r.metrics })}\n`);
    return;
  }
  const head = [...(exp.policies !== undefined ? ["policy"] : []), "seed", ...metricNames];
  const t = new Table({ head, style: { head: [], border: [], compact: true } });
  for (const r of rows) t.push([...(r.policy !== undefined ? [r.policy] : []), String(r.seed), ...metricNames.map((m) => cellText(r.metrics[m]))]);
  io.write(`${t.toString()}\n`);
}

/** Run a resolved request: the report, then the provenance. */
export async function runRequest(exp: AnyExperiment, req: RunRequest, io: RunIO): Promise<void> {
  if (exp.report !== undefined) await exp.report(req, io);
  else genericReport(exp, req, io);
  io.write(req.json ? `${JSON.stringify({ mmLab: runRecord(exp, req) })}\n` : formatFooter(exp, req));
}

export function runCommand(exp: AnyExperiment, makeIO: (json: boolean) => RunIO): Command {
  const cmd = new Command(exp.name).description(exp.summary);
  addParamFlags(cmd, exp, { seeds: exp.seeds.many !== false });
  cmd.action(async (opts: RawArgs) => {
    const req = resolveRequest(exp, opts);
    await runRequest(exp, req, makeIO(req.json));
  });
  return cmd;
}
