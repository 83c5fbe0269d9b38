/**
 * Host memory and boot time of bootOwnerSystem (buddy + page_ext + page_owner, 6.1, depot storage):
 * array-buffer bytes per page right after boot, and the boot's wall time, for the sizes given in
 * GiB (default 256). Run: node --expose-gc --import tsx --conditions=@mm/source bench/owner-memory.ts [GiB...]
 * (or `pnpm bench:owner-memory`). Each size runs in a fresh process when several are given.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { bootOwnerSystem } from "../src/experiments/page-owner-wiring.js";

const sizes = process.argv.slice(2).map(Number);
if (sizes.length > 1) {
  for (const g of sizes)
    process.stdout.write(
      execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), String(g)], { encoding: "utf8" }),
    );
} else {
  const gib = sizes[0] ?? 256;
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  const sys = bootOwnerSystem({ memoryBytes: gib * 2 ** 30, era: "6.1" });
  const ms = performance.now() - t0;
  gc?.();
  const bytes = process.memoryUsage().arrayBuffers - before;
  const pages = sys.machine.nrPfns;
  console.log(
    `${gib} GiB: ${pages} pages, ${(bytes / 1e9).toFixed(2)} GB of array buffers = ${(bytes / pages).toFixed(2)} B/page, boot ${ms.toFixed(0)} ms` +
      ` (free after boot ${sys.freeAfter})`,
  );
}
