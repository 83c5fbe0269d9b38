// `pnpm bench` reaches the sweep throughput bench: it runs bench/sweep-jobs.mjs (the built code,
// so `pnpm build` first; it skips with a message otherwise) in its own process, where the worker
// pool starts the same way `mm-lab sweep` does, and prints its lines (runs/s at --jobs 1 and 2,
// the ratio, and the thread-CPU split that does not depend on the machine's load).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { bench, describe } from "vitest";

const script = fileURLToPath(new URL("./sweep-jobs.mjs", import.meta.url));

describe("mm-lab sweep throughput, --jobs 2 against --jobs 1 (reporting-ab grid, built code)", () => {
  bench(
    "bench/sweep-jobs.mjs",
    () => {
      const r = spawnSync(process.execPath, [script], { stdio: "inherit" });
      if (r.status !== 0) throw new Error(`sweep-jobs.mjs exited ${String(r.status)}`);
    },
    { iterations: 1, time: 0, warmupIterations: 0 },
  );
});
