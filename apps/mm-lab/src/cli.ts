import { writeFileSync } from "node:fs";
import { Command } from "commander";
import cliProgress from "cli-progress";
import type { Experiment, ExperimentArgs, Progress, RunIO } from "./experiment.js";
import { experiments } from "./experiments/index.js";
import { importCommand } from "./import-command.js";

/** The experiment `mm-lab` runs when none is named (the README's main job). */
export const DEFAULT_EXPERIMENT = "reporting-ab";

function makeIO(json: boolean, out: (s: string) => void): RunIO {
  return {
    write: out,
    writeFile: (path, text) => writeFileSync(path, text),
    progress(total: number, label: string): Progress {
      if (json || !process.stderr.isTTY) return { tick() {}, stop() {} };
      const bar = new cliProgress.SingleBar(
        { format: `${label} [{bar}] {value}/{total}`, stream: process.stderr, clearOnComplete: true },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0);
      return { tick: (n = 1) => bar.increment(n), stop: () => bar.stop() };
    },
  };
}

function experimentCommand(exp: Experiment, out: (s: string) => void): Command {
  const cmd = new Command(exp.name).description(exp.summary);
  const seen = new Set<string>();
  for (const o of exp.options) {
    seen.add(o.flags.split(/[ ,]/)[0] ?? o.flags);
    if (o.defaultValue === undefined) cmd.option(o.flags, o.description);
    else cmd.option(o.flags, o.description, o.defaultValue);
  }
  if (!seen.has("--json")) cmd.option("--json", "print one JSON object per line instead of a table");
  cmd.action(async (opts: ExperimentArgs) => {
    await exp.run(opts, makeIO(opts.json === true, out));
  });
  return cmd;
}

export async function runCli(program: Command, argv: readonly string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<void> {
  program
    .name("mm-lab")
    .description("Policy A/B experiments on a model of the Linux physical memory manager.")
    .configureOutput({ writeOut: out });
  program
    .command("list")
    .description("list the experiments")
    .action(() => {
      for (const e of experiments) out(`${e.name.padEnd(20)} ${e.summary}\n`);
    });
  const run = program.command("run").description("run an experiment (see `mm-lab run <experiment> --help`)");
  for (const e of experiments) run.addCommand(experimentCommand(e, out));
  program.addCommand(importCommand(out));
  if (argv.length <= 2) {
    await program.parseAsync([...argv, "run", DEFAULT_EXPERIMENT]);
    return;
  }
  await program.parseAsync([...argv]);
}
