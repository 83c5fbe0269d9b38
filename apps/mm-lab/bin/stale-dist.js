/* global URL */
// Is the built CLI older than the sources it was built from? The launcher runs dist/ only when
// it is not: a user who edits a source after `npm run demo` gets the code they edited (through
// tsx) instead of silently running the old build. The stamp of a package's build is its
// `dist/index.js`: tsc writes it after reading every source, on each build (no incremental
// emit here), and turbo writes it anew when it restores a cached build (whose key is the
// sources' content). A package is stale when any of its sources (src/**, package.json,
// tsconfig.build.json) has an mtime after that stamp. mtimes only move forward on edit, pull or
// checkout, so an error makes it run the sources, never an old build. About 250 stats: ~2 ms.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repo root above `apps/mm-lab/bin/`. */
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** The newest mtime (ms) of the files under `dir`, tests left out (tsc excludes them too). */
function newest(dir, acc) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest(p, acc);
    else if (!e.name.endsWith(".test.ts")) {
      const t = statSync(p).mtimeMs;
      if (t > acc.t) {
        acc.t = t;
        acc.file = p;
      }
    }
  }
  return acc;
}

/** The workspace packages the CLI is built from: apps/mm-lab and every packages/* one. */
function units(root) {
  const pk = join(root, "packages");
  const dirs = existsSync(pk) ? readdirSync(pk).map((d) => join(pk, d)) : [];
  return [join(root, "apps", "mm-lab"), ...dirs.filter((d) => existsSync(join(d, "package.json")) && existsSync(join(d, "src")))];
}

/**
 * Why dist/ must not run (a sentence naming the first stale or unbuilt package), or null when
 * every package's build is at least as new as its sources.
 */
export function staleDist(root = REPO_ROOT) {
  if (!existsSync(join(root, "apps", "mm-lab", "dist", "main.js"))) return "apps/mm-lab/dist/main.js is not built";
  for (const u of units(root)) {
    const name = u.slice(root.length).replace(/^[/\\]/, "");
    const stamp = join(u, "dist", "index.js");
    if (!existsSync(stamp)) return `${name}/dist is not built`;
    const built = statSync(stamp).mtimeMs;
    const acc = newest(join(u, "src"), { t: -Infinity, file: "" });
    for (const f of ["package.json", "tsconfig.build.json"]) {
      const p = join(u, f);
      const t = existsSync(p) ? statSync(p).mtimeMs : -Infinity;
      if (t > acc.t) {
        acc.t = t;
        acc.file = p;
      }
    }
    if (acc.t > built) return `${acc.file.slice(root.length).replace(/^[/\\]/, "")} is newer than ${name}/dist`;
  }
  return null;
}
