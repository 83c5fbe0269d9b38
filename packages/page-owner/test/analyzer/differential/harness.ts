// Runs one command line through a kernel tool and through ours, each in its own directory that
// starts with the same files, and reports what each left behind: exit status, stdout, stderr and
// every file created or changed (the output file, or an input it overwrote).

import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runPageOwnerSort } from "../../../src/analyzer/program.js";
import type { CompatEra } from "../../../src/analyzer/compat/config.js";
import type { Case } from "./cases.js";

/** What one run left behind. */
export interface Outcome {
  readonly status: string;
  readonly stdout: Buffer;
  readonly stderr: Buffer;
  /** Files created or changed, by name, sorted. */
  readonly files: ReadonlyMap<string, Buffer>;
}

/** A directory holding the inputs, restored after every run. */
export class RunDir {
  private readonly pristine = new Map<string, { content: Buffer; mtime: bigint }>();

  constructor(
    readonly path: string,
    inputs: ReadonlyMap<string, string>,
  ) {
    mkdirSync(join(path, "adir"), { recursive: true });
    for (const [name, text] of inputs) {
      const content = Buffer.from(text, "latin1");
      writeFileSync(join(path, name), content);
      this.pristine.set(name, { content, mtime: statSync(join(path, name), { bigint: true }).mtimeNs });
    }
  }

  /** Files created or changed since the last call; puts the inputs back and deletes the rest. */
  collect(): Map<string, Buffer> {
    const out = new Map<string, Buffer>();
    for (const name of readdirSync(this.path).sort()) {
      if (name === "adir") continue;
      const p = join(this.path, name);
      const orig = this.pristine.get(name);
      if (orig !== undefined && statSync(p, { bigint: true }).mtimeNs === orig.mtime) continue;
      out.set(name, readFileSync(p));
      if (orig === undefined) rmSync(p, { recursive: true, force: true });
      else {
        writeFileSync(p, orig.content);
        this.pristine.set(name, { content: orig.content, mtime: statSync(p, { bigint: true }).mtimeNs });
      }
    }
    return out;
  }
}

/** The kernel tool, as a process named page_owner_sort (getopt's messages print argv[0]). */
export function runC(tool: string, c: Case, dir: RunDir): Outcome {
  const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin", LC_ALL: "C" };
  if (c.posix) env.POSIXLY_CORRECT = "1";
  const r = spawnSync(tool, c.argv, { cwd: dir.path, argv0: "page_owner_sort", env, timeout: 20_000, maxBuffer: 64 << 20 });
  const status = r.error !== undefined ? `error ${r.error.message}` : r.signal !== null ? `signal ${r.signal}` : `exit ${r.status}`;
  return { status, stdout: r.stdout, stderr: r.stderr, files: dir.collect() };
}

/** Ours, in-process, as that era of the tool. */
export async function runOurs(era: CompatEra, c: Case, dir: RunDir): Promise<Outcome> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const buf = (d: string | Uint8Array): Buffer => (typeof d === "string" ? Buffer.from(d, "utf8") : Buffer.from(d));
  const argv = era === "6.1" ? ["--compat=6.1", ...c.argv] : c.argv;
  const code = await runPageOwnerSort(argv, {
    stdout: (d) => out.push(buf(d)),
    stderr: (d) => err.push(buf(d)),
    env: c.posix ? { POSIXLY_CORRECT: "1" } : {},
    cwd: dir.path,
  });
  return { status: `exit ${code}`, stdout: Buffer.concat(out), stderr: Buffer.concat(err), files: dir.collect() };
}

function show(b: Buffer, at: number): string {
  return JSON.stringify(b.subarray(Math.max(0, at - 80), at + 80).toString("latin1"));
}

function firstDiff(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

/** Where two outcomes differ, as lines of text ([] when identical). */
export function compareOutcomes(kernel: Outcome, ours: Outcome): string[] {
  const diffs: string[] = [];
  if (kernel.status !== ours.status) diffs.push(`status: kernel ${kernel.status}, ours ${ours.status}`);
  const bytes = (what: string, k: Buffer | undefined, o: Buffer | undefined): void => {
    if (k === undefined || o === undefined) {
      if (k !== o) diffs.push(`${what}: ${k === undefined ? "only ours wrote it" : "only the kernel tool wrote it"}`);
      return;
    }
    if (k.equals(o)) return;
    const at = firstDiff(k, o);
    diffs.push(`${what}: ${k.length} vs ${o.length} bytes, first difference at ${at}: kernel ${show(k, at)} ours ${show(o, at)}`);
  };
  bytes("stdout", kernel.stdout, ours.stdout);
  bytes("stderr", kernel.stderr, ours.stderr);
  for (const name of new Set([...kernel.files.keys(), ...ours.files.keys()])) {
    bytes(`file ${name}`, kernel.files.get(name), ours.files.get(name));
  }
  return diffs;
}
