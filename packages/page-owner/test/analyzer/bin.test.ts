// The `page_owner_sort` bin as a process: run from its TypeScript source (the built dist file is the
// same module compiled; package.json's "bin" points at dist/cli/page-owner-sort.js).

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { smallDumpPath } from "./fixture-helpers.js";

const pkg = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const bin = join(pkg, "src", "cli", "page-owner-sort.ts");

function runBin(args: string[], input?: Buffer): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", "--conditions=@mm/source", bin, ...args], {
    cwd: pkg,
    input,
    encoding: "latin1",
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("page_owner_sort bin", () => {
  test("starts with a node shebang (kept by tsc in dist/)", () => {
    expect(readFileSync(bin, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    const pj = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")) as { bin: Record<string, string> };
    expect(pj.bin.page_owner_sort).toBe("./dist/cli/page-owner-sort.js");
  });

  test("runs: file in, stdout out, exit status; stdin in", () => {
    const r = runBin(["--cull=name", smallDumpPath(), "-"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^\d+ times, \d+ pages, task_comm_name: swapper\/0\n/);
    const piped = runBin(["--cull=name", "-", "-"], readFileSync(smallDumpPath()));
    expect(piped.stdout).toBe(r.stdout);
    const bad = runBin(["-x", "a", "b"]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe("page_owner_sort: invalid option -- 'x'\n");
  });
});
