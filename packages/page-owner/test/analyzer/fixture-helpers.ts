// Shared access to the real 6.1 capture in the repo's fixtures/ (read-only, never regenerated).

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { runPageOwnerSort } from "@mm/page-owner";

/** The capture's directory. */
export const FIXTURE_DIR = fileURLToPath(new URL("../../../../fixtures/kernel-6.1-256M", import.meta.url));

/** One row of a COMMANDS.tsv. */
export interface FixtureCommand {
  readonly era: "6.1" | "6.12";
  readonly name: string;
  readonly exit: number;
  /** Arguments after `page_owner_sort`, as in the file (input page_owner.txt, output NN-name.txt). */
  readonly args: readonly string[];
}

/** Both COMMANDS.tsv files. */
export function fixtureCommands(): FixtureCommand[] {
  const out: FixtureCommand[] = [];
  for (const era of ["6.1", "6.12"] as const) {
    const tsv = readFileSync(join(FIXTURE_DIR, `page_owner_sort-${era}`, "COMMANDS.tsv"), "utf8");
    for (const line of tsv.split("\n").slice(1)) {
      if (line.trim() === "") continue;
      const [name, exit, cmd] = line.split("\t");
      const words = cmd.split(/\s+/).filter((w) => w !== "");
      if (words[0] !== "page_owner_sort") throw new Error(`unexpected command: ${cmd}`);
      out.push({ era, name, exit: Number(exit), args: words.slice(1) });
    }
  }
  return out;
}

let dumpPath: string | null = null;

/** The dump, decompressed once per test file into a temp dir (the tool wants a regular file). */
export function fixtureDumpPath(): string {
  if (dumpPath === null) {
    const dir = mkdtempSync(join(tmpdir(), "page-owner-fixture-"));
    dumpPath = join(dir, "page_owner.txt");
    writeFileSync(dumpPath, gunzipSync(readFileSync(join(FIXTURE_DIR, "page_owner.txt.gz"))));
  }
  return dumpPath;
}

let smallPath: string | null = null;

/** The first 2,000 records of the dump (about 1.1 MB): for tests that need real data, not all of it. */
export function smallDumpPath(): string {
  if (smallPath === null) {
    const full = readFileSync(fixtureDumpPath(), "latin1");
    let end = 0;
    for (let i = 0; i < 2000; i++) end = full.indexOf("\n\n", end) + 2;
    smallPath = join(dirname(fixtureDumpPath()), "page_owner-small.txt");
    writeFileSync(smallPath, full.slice(0, end), "latin1");
  }
  return smallPath;
}

/** The reference output file of a run. */
export function expectedOutput(c: FixtureCommand): Buffer {
  return gunzipSync(readFileSync(join(FIXTURE_DIR, `page_owner_sort-${c.era}`, `${c.name}.txt.gz`)));
}

/** The reference stdout of a run (progress collapsed to its last line). */
export function expectedStdout(c: FixtureCommand): string {
  return readFileSync(join(FIXTURE_DIR, `page_owner_sort-${c.era}`, `${c.name}.stdout`), "latin1");
}

/** Captured result of one in-process run. */
export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the program in-process, collecting stdout/stderr as latin1 text. */
export async function run(argv: readonly string[], stdin?: AsyncIterable<Uint8Array>, cwd?: string): Promise<RunResult> {
  let stdout = "";
  let stderr = "";
  const text = (d: string | Uint8Array): string => (typeof d === "string" ? d : Buffer.from(d).toString("latin1"));
  const code = await runPageOwnerSort(argv, {
    stdout: (d) => (stdout += text(d)),
    stderr: (d) => (stderr += text(d)),
    ...(stdin === undefined ? {} : { stdin }),
    ...(cwd === undefined ? {} : { cwd }),
    env: {},
  });
  return { code, stdout, stderr };
}

/** An async source of chunks (as stdin would deliver them), from any iterable. */
export async function* asyncChunks(chunks: Iterable<Uint8Array>): AsyncGenerator<Uint8Array, void, undefined> {
  for (const c of chunks) {
    await Promise.resolve(); // a real stream yields to the event loop between chunks
    yield c;
  }
}
