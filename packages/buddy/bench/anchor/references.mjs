/* global process, console, URL */
// Where the perf-anchor references are, and the C one built with gcc into a temp dir: shared by
// run.mjs (the package against the references) and probes/run.mjs (the ceiling probes).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));

/** ../shared/perf-anchor (or PERF_ANCHOR_DIR), or undefined when it is not there. */
export function findAnchor() {
  const candidates = [process.env.PERF_ANCHOR_DIR, join(here, "../../../../../shared/perf-anchor"), "/work/shared/perf-anchor"];
  return candidates.find((d) => d !== undefined && existsSync(join(d, "bench_naive.mjs")));
}

/** buddy_ref.c built with the flags of its build.sh; null (with a message) without gcc. */
export function buildC(anchor) {
  try {
    const bin = join(mkdtempSync(join(tmpdir(), "mm-buddy-anchor-")), "buddy_ref");
    execFileSync("gcc", ["-O2", "-march=x86-64-v2", "-std=c11", "-o", bin, join(anchor, "buddy_ref.c")], { stdio: "pipe" });
    return bin;
  } catch {
    console.log("gcc not available: no C reference in this run");
    return null;
  }
}
