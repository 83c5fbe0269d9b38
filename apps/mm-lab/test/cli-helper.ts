import { Command } from "commander";
import { main, runCli } from "../src/cli.js";

/** Run the CLI in-process; stdout as a string (throws what the command throws). */
export async function cli(...args: string[]): Promise<string> {
  let out = "";
  await runCli(new Command(), ["node", "mm-lab", ...args], (s) => {
    out += s;
  });
  return out;
}

/** Run the whole command as `main` does: exit code, stdout, stderr. */
export async function cliMain(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(["node", "mm-lab", ...args], { out: (s) => (out += s), err: (s) => (err += s), debug: false });
  return { code, out, err };
}

/** JSON output less its last line, the `{"mmLab":…}` run record (tests of an experiment's own rows). */
export function withoutRunRecord(out: string): string {
  return out.replace(/^\{"mmLab":.*\n/m, "");
}
