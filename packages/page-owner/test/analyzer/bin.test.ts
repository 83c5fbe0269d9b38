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

function runBin(args: string[], input?: Buffer, viaPipes = false): { status: number | null; stdout: string; stderr: string } {
  const argv = [process.execPath, "--import", "tsx", "--conditions=@mm/source", bin, ...args];
  const quoted = argv.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const r = viaPipes
    ? spawnSync("bash", ["-c", `cat | ${quoted} | cat; exit \${PIPESTATUS[1]}`], { cwd: pkg, input, encoding: "latin1" })
    : spawnSync(argv[0], argv.slice(1), { cwd: pkg, input, encoding: "latin1" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("page_owner_sort bin", () => {
  test("starts with a node shebang (kept by tsc in dist/)", () => {
    expect(readFileSync(bin, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    const pj = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")) as { bin: Record<string, string> };
    expect(pj.bin.page_owner_sort).toBe("./dist/cli/page-owner-sort.js");
  });

  test("runs: file in, /dev/stdout out, exit status; stdin in for the extension modes", () => {
    // Through `| cat`: Node's spawn gives the child a socket, which /dev/stdout cannot open.
    const r = runBin(["--cull=name", smallDumpPath(), "/dev/stdout"], undefined, true);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^loaded 1000\rloaded 2000\rloaded 2000\nsorting ....\nculling\n\d+ times, \d+ pages, task_comm_name: swapper\/0\n/);
    // A pipe's st_size is 0, so the kernel tool's block array holds nothing: so does ours.
    const piped = runBin(["--cull=name", "/dev/stdin", "/dev/stdout"], readFileSync(smallDumpPath()), true);
    expect(piped).toMatchObject({ status: 0, stdout: "", stderr: "max_size too small??\n" });
    const stacks = runBin(["--stacks", "-"], readFileSync(smallDumpPath()));
    expect(stacks.status).toBe(0);
    expect(stacks.stdout).toMatch(/nr_base_pages: \d+/);
    const bad = runBin(["-x", "a", "b"]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe("page_owner_sort: invalid option -- 'x'\n");
  });
});
