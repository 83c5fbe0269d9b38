// A sweep stopped by a signal, as a real process: SIGTERM (a scheduler's preemption; Ctrl-C's
// SIGINT takes the same path) stores the finished runs, says so in one line and exits 128 + 15.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { queryDb } from "../src/commands/query.js";

const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "mm-lab-signal-"));
let child: ChildProcess | undefined;
afterAll(() => {
  // a failed assertion must not leave minutes of sweep running
  if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

describe("a sweep process stopped by a signal", () => {
  it("SIGTERM: the finished runs are stored, one line on stderr, exit 143", async () => {
    const db = join(dir, "s.duckdb");
    const tsx = createRequire(import.meta.url).resolve("tsx");
    // 100000 runs of a few ms: many minutes of work, so the signal lands mid-sweep however idle
    // the machine is
    const total = 100_000;
    const args = ["sweep", "buddyinfo", "--grid", "memory=32..320:32", "--seconds", "0.2", "--seeds", "10000", "--jobs", "2", "--db", db];
    child = spawn(process.execPath, ["--import", new URL(`file://${tsx}`).href, "--conditions=@mm/source", join(here, "../src/main.ts"), ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    let out = "";
    child.stderr!.on("data", (b: Buffer) => (err += b.toString()));
    child.stdout!.on("data", (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((r) => child!.on("exit", (c) => r(c)));
    let gone = false;
    void exited.then(() => (gone = true));
    // the store file appears once the signal handlers are in place (the sweep creates it after
    // installing them); then past the workers' start-up and at least one store flush (1 s)
    const t0 = Date.now();
    while (!existsSync(db) && !gone && Date.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 100));
    expect(gone).toBe(false);
    await new Promise((r) => setTimeout(r, 4000));
    child.kill("SIGTERM");
    const code = await exited;
    expect(code).toBe(143);
    expect(out).toBe("");
    const m = /^mm-lab: interrupted: (\d+) runs stored in .*; run again with --resume to continue\n$/.exec(err);
    expect(m).not.toBeNull();
    const stored = Number(m![1]);
    expect(stored).toBeGreaterThan(0);
    expect(stored).toBeLessThan(total);
    const n = await queryDb(db, "SELECT count(*)::INT AS n, count(DISTINCT task)::INT AS d FROM results");
    expect(n.rows[0]).toEqual({ n: stored, d: stored });
    expect((await queryDb(db, "SELECT runs FROM runs")).rows).toEqual([{ runs: stored }]);
  });
});
