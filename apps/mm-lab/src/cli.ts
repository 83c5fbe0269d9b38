/**
 * The `mm-lab` command line: `list`, `run <experiment>`, and (built on the same experiment API)
 * `sweep`, `query`, `merge`. `main` turns every failure into one line on stderr —
 * `mm-lab: CODE: message` — and an exit code: 2 for bad input (usage), 1 for a run that failed,
 * 0 otherwise. `MM_LAB_DEBUG=1` adds the stack.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { Command, CommanderError } from "commander";
import cliProgress from "cli-progress";
import { isMmError, MmError } from "@mm/api";
import type { AnyExperiment, Progress, RunIO } from "./experiment.js";
import { experiments } from "./experiments/index.js";
import { runCommand } from "./commands/run.js";
import { reportCommand } from "./report/command.js";
import { sweepCommand } from "./commands/sweep.js";
import { mergeCommand, queryCommand } from "./commands/query.js";
import { importCommand } from "./commands/import.js";
import { replayCommand } from "./commands/replay.js";

/** The experiment `mm-lab` runs when none is named (the README's main job). */
export const DEFAULT_EXPERIMENT = "reporting-ab";

export function makeIO(json: boolean, out: (s: string) => void): RunIO {
  return {
    write: out,
    writeFile(path, text) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    },
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

/** The registered experiment of that name. @throws MmError EINVAL listing the known ones. */
export function experimentByName(name: string): AnyExperiment {
  const e = experiments.find((x) => x.name === name);
  if (e === undefined) throw new MmError("EINVAL", `unknown experiment "${name}" (known: ${experiments.map((x) => x.name).join(", ")})`);
  return e;
}

/** addCommand, with the parent's exitOverride and output settings (commander copies them only for .command()). */
export function addSub(parent: Command, cmd: Command): Command {
  cmd.copyInheritedSettings(parent);
  parent.addCommand(cmd);
  return cmd;
}

/** Commands that take an experiment name as their first argument. */
const EXPERIMENT_COMMANDS = new Set(["run", "sweep"]);

/**
 * Parse and run. Throws what the command threw (MmError for bad input, CommanderError from
 * commander with exitOverride); `main` turns that into one line and an exit code.
 */
export async function runCli(program: Command, argv: readonly string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<void> {
  program
    .name("mm-lab")
    .description("Policy A/B experiments on a model of the Linux physical memory manager.")
    .exitOverride()
    .configureOutput({ writeOut: out, writeErr: () => {} });
  program
    .command("list")
    .description("list the experiments")
    .action(() => {
      for (const e of experiments) out(`${e.name.padEnd(20)} ${e.summary}\n`);
    });
  addSub(program, replayCommand(out));
  const run = program.command("run").description("run an experiment (see `mm-lab run <experiment> --help`)");
  for (const e of experiments) addSub(run, runCommand(e, (json) => makeIO(json, out)));
  addSub(program, reportCommand(makeIO(false, out)));
  const sweep = program.command("sweep").description("sweep an experiment over a grid or sample (see `mm-lab sweep <experiment> --help`)");
  for (const e of experiments) addSub(sweep, sweepCommand(e, out));
  addSub(program, queryCommand(out));
  addSub(program, mergeCommand(out));
  addSub(program, importCommand(out, (json) => makeIO(json, out)));
  const args = argv.slice(2);
  if (args.length === 0) {
    await program.parseAsync([...argv, "run", DEFAULT_EXPERIMENT]);
    return;
  }
  const [command, name] = args;
  if (command !== undefined && EXPERIMENT_COMMANDS.has(command) && name !== undefined && !name.startsWith("-")) experimentByName(name);
  await program.parseAsync([...argv]);
}

/** Exit code for an error: 2 bad input, 1 anything else. */
function exitCodeOf(e: unknown): number {
  if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
  if (isMmError(e)) return e.code === "EINVAL" || e.code === "PARSE_ERROR" || e.code === "BAD_CONFIG" ? 2 : 1;
  return 1;
}

/** One line: "mm-lab: CODE: message". */
export function errorLine(e: unknown): string {
  if (e instanceof CommanderError) return `mm-lab: EINVAL: ${e.message.replace(/^error: /, "").split("\n")[0] ?? ""}`;
  if (isMmError(e)) return `mm-lab: ${e.message.split("\n")[0] ?? ""}`;
  const msg = e instanceof Error ? e.message : String(e);
  return `mm-lab: ERROR: ${msg.split("\n")[0] ?? ""}`;
}

export interface MainIO {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
  readonly debug: boolean;
}

/** The whole command: run, catch, print one line, return the exit code. */
export async function main(argv: readonly string[], io: MainIO): Promise<number> {
  try {
    await runCli(new Command(), argv, io.out);
    return 0;
  } catch (e) {
    const code = exitCodeOf(e);
    if (code === 0) return 0; // --help, --version
    io.err(`${errorLine(e)}\n`);
    if (io.debug && e instanceof Error && e.stack !== undefined) io.err(`${e.stack}\n`);
    return code;
  }
}
