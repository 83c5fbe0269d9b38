/**
 * Streaming cost on the real fixture (118 MB of ftrace text with stacks, decompressed once into a
 * temp file): the strongest baseline is Node's own readline over the same file (what any JS
 * reader pays just to see the lines); then parsing every event, then parsing + replaying with
 * attribution and the model's what-if. Printed as ms per pass; the ratios are the cost per layer.
 */
import { mkdtempSync, readFileSync, writeFileSync, createReadStream } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { brotliDecompressSync } from "node:zlib";
import { bench, describe } from "vitest";
import { readTrace, replayTrace, systemRamRanges } from "@mm/trace";

const dir = new URL("../../../fixtures/trace-6.1-qemu/", import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), "mm-trace-bench-"));
const text = join(tmp, "trace.txt");
writeFileSync(text, brotliDecompressSync(readFileSync(`${dir}trace.txt.br`)));
const ranges = systemRamRanges(readFileSync(`${dir}start-iomem`, "utf8"));
const opts = { iterations: 3, warmupIterations: 1, time: 0, warmupTime: 0 };

describe("fixtures/trace-6.1-qemu (118 MB, 243,056 events with stacks)", () => {
  bench(
    "baseline: readline over the file",
    async () => {
      let n = 0;
      for await (const _ of createInterface({ input: createReadStream(text), crlfDelay: Infinity })) n++;
      if (n === 0) throw new Error("empty");
    },
    opts,
  );
  bench("parse every event", async () => {
    let n = 0;
    await readTrace(text, () => n++);
  }, opts);
  bench("replay (two passes, attribution, invariants every 1024)", async () => {
    await replayTrace(text, { ranges, whatIf: false, samples: 100 });
  }, opts);
  bench("replay + model what-if", async () => {
    await replayTrace(text, { ranges, samples: 100 });
  }, opts);
});
