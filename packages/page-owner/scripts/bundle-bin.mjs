// Bundles the page_owner_sort bin into one CommonJS file, dist/bin/page_owner_sort.cjs (what
// package.json's "bin" points at): start-up is most of a small dump's run, and one file with no
// module resolution and no ESM loader starts faster than the tsc output (dist/cli/, a tree of
// ES modules). The code is the same: src/cli/page-owner-sort.ts and what it imports.
//
//   node scripts/bundle-bin.mjs        (the last step of `pnpm build`)

import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const pkg = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Builds the bin bundle into `outfile`; returns its path. */
export async function bundleBin(outfile = join(pkg, "dist", "bin", "page_owner_sort.cjs")) {
  await build({
    entryPoints: [join(pkg, "src", "cli", "page-owner-sort.ts")],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    // Workspace packages from their TypeScript sources: no dependency on their dist being built.
    conditions: ["@mm/source"],
    outfile,
    logLevel: "warning",
  });
  return outfile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundleBin();
