// Throughput of the analyzer against naive baselines measured in the same run (vitest prints the
// ratios), then MB/s and peak RSS per implementation, each in its own process (see memory.ts;
// PAGE_OWNER_BENCH_1G=1 adds the generated 1 GiB dump).

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { runPageOwnerSort } from "@mm/page-owner";
import { bench, describe } from "vitest";
import { runMemoryBench } from "./memory.js";
import { naiveSort, naiveStacks } from "./naive.js";

const input = join(tmpdir(), "page-owner-bench-fixture.txt");
if (!existsSync(input)) {
  writeFileSync(input, gunzipSync(readFileSync(new URL("../../../../fixtures/kernel-6.1-256M/page_owner.txt.gz", import.meta.url))));
}
const out = join(tmpdir(), `page-owner-bench-${process.pid}.out`);
const io = { stdout: () => {}, stderr: () => {} };

describe("page_owner_sort, 6.12 default, real 9.53 MB capture (MB/s = 9.53 x hz)", () => {
  bench("naive: readFile + split on blank lines + Map of strings (baseline)", () => {
    writeFileSync(out, naiveSort(input), "latin1");
  });
  bench("@mm/page-owner runPageOwnerSort (streaming, byte-exact)", async () => {
    await runPageOwnerSort([input, out], io);
  });
});

describe("per-stack summary, real 9.53 MB capture (MB/s = 9.53 x hz)", () => {
  bench("naive: readFile + split + Map<frames, pages> (baseline)", () => {
    writeFileSync(out, naiveStacks(input), "latin1");
  });
  bench("@mm/page-owner --stacks (streaming typed parser)", async () => {
    await runPageOwnerSort(["--stacks", input, out], io);
  });
});

if (process.env.PAGE_OWNER_BENCH_MEMORY !== "0") {
  console.log(`MB/s and peak RSS, one process per run (node ${process.version}):\n${await runMemoryBench()}`);
}
