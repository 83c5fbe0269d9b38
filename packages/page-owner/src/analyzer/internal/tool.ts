// What the format tools (page_owner_stacks, page_owner_diff, allocinfo_sort) share: argv parsing
// with node:util parseArgs, reading inputs through openDump (gzip, "-" for stdin), and turning an
// MmError into one stderr line and exit status 2.

import { resolve } from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { isMmError, MmError } from "@mm/api";
import type { PageOwnerSortIo } from "../program.js";
import { openDump } from "../source.js";

/** The tools' io: as page_owner_sort's (stdout, stderr, stdin for "-", cwd). */
export type ToolIo = Pick<PageOwnerSortIo, "stdout" | "stderr" | "stdin" | "cwd">;

/** Parsed argv: option values by name, and the operands. */
export interface ToolArgs {
  /** String options. */
  readonly values: Readonly<Record<string, string | undefined>>;
  /** Boolean options (true when given). */
  readonly flags: Readonly<Record<string, boolean | undefined>>;
  readonly positionals: readonly string[];
}

/** parseArgs, strict, with its errors as MmError EINVAL. */
export function parseToolArgs(argv: readonly string[], options: NonNullable<ParseArgsConfig["options"]>): ToolArgs {
  try {
    const r = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
    const values: Record<string, string> = {};
    const flags: Record<string, boolean> = {};
    for (const [k, v] of Object.entries(r.values)) {
      if (typeof v === "string") values[k] = v;
      else if (v === true) flags[k] = true;
    }
    return { values, flags, positionals: r.positionals };
  } catch (e) {
    // node's hint about "--" after "Unknown option '--x'." is not one line's worth
    throw new MmError("EINVAL", ((e as Error).message.split("\n")[0] ?? "bad arguments").split(". To specify")[0] ?? "bad arguments");
  }
}

/** One of `allowed`, or MmError EINVAL naming the option. */
export function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], fallback: T, option: string): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new MmError("EINVAL", `--${option} must be one of ${allowed.join(", ")}, not ${JSON.stringify(value)}`);
}

/** Streams a named input ("-": stdin) into `push`. @throws MmError EINVAL when it cannot be read. */
export async function feedInput(io: ToolIo, name: string, push: (chunk: Buffer) => void): Promise<void> {
  let src: ReturnType<typeof openDump>;
  try {
    src = openDump(name === "-" ? "-" : io.cwd === undefined ? name : resolve(io.cwd, name), io.stdin);
  } catch (e) {
    throw new MmError("EINVAL", `cannot open ${name}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    for await (const chunk of src.chunks) push(chunk);
  } catch (e) {
    if (isMmError(e)) throw e;
    throw new MmError("EINVAL", `cannot read ${name}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  } finally {
    await src.closed;
  }
}

/** Runs a tool body: 0 on success; an MmError -> `prog: CODE: message` on stderr and 2. */
export async function runTool(prog: string, io: ToolIo, body: () => Promise<void>): Promise<number> {
  try {
    await body();
    return 0;
  } catch (e) {
    if (!isMmError(e)) throw e;
    io.stderr(`${prog}: ${e.message.split("\n")[0] ?? ""}\n`);
    return 2;
  }
}

/** Output text as the bytes it was read as (the readers decode latin1, one char per byte). */
export function latin1(s: string): Buffer {
  return Buffer.from(s, "latin1");
}
