// The `page_owner_sort` bin as a process: run from its TypeScript source, and as the bundle
// package.json's "bin" points at (dist/bin/page_owner_sort.cjs, built by scripts/bundle-bin.mjs:
// the same code in one CommonJS file), started through its own shebang.

import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
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
  test("starts with a node shebang that sets the heap flags (kept by tsc and esbuild)", () => {
    expect(readFileSync(bin, "utf8").startsWith("#!/usr/bin/env -S node --max-semi-space-size=1\n")).toBe(true);
    const pj = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")) as { bin: Record<string, string> };
    expect(pj.bin.page_owner_sort).toBe("./dist/bin/page_owner_sort.cjs");
  });

  test("the bundle runs through its shebang and answers as the source does", async () => {
    const dir = mkdtempSync(join(tmpdir(), "page-owner-bin-"));
    try {
      // @ts-expect-error -- a plain .mjs build script, no declarations
      const { bundleBin } = (await import("../../scripts/bundle-bin.mjs")) as { bundleBin: (out: string) => Promise<string> };
      const file = await bundleBin(join(dir, "page_owner_sort.cjs"));
      expect(readFileSync(file, "utf8").startsWith("#!/usr/bin/env -S node --max-semi-space-size=1\n")).toBe(true);
      chmodSync(file, 0o755);
      for (const args of [["--cull=stacktrace,name"], ["-a"]]) {
        const out = join(dir, "out");
        const b = spawnSync(file, [...args, smallDumpPath(), out], { encoding: "latin1" });
        expect(b.status).toBe(0);
        const fromBundle = readFileSync(out, "latin1");
        const s = runBin([...args, smallDumpPath(), out]);
        expect({ status: b.status, stdout: b.stdout, stderr: b.stderr }).toEqual(s);
        expect(fromBundle).toBe(readFileSync(out, "latin1"));
      }
      // The extension modes load their modules on first use: they must be in the bundle too.
      const stacks = spawnSync(file, ["--stacks", smallDumpPath()], { encoding: "latin1" });
      expect(stacks.status).toBe(0);
      expect(stacks.stdout).toMatch(/nr_base_pages: \d+/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
