// One measured run in a fresh process: `worker.ts <impl> <input> <output>`; prints JSON with the
// wall time of the work and the process's peak RSS.

import { statSync, writeFileSync } from "node:fs";
import { runPageOwnerSort } from "@mm/page-owner";
import { naiveSort, naiveStacks } from "./naive.js";

const [impl, input, output] = process.argv.slice(2);
const io = { stdout: () => {}, stderr: (d: string | Uint8Array) => void process.stderr.write(d) };
const t0 = performance.now();
let code = 0;
switch (impl) {
  case "naive-stacks":
    writeFileSync(output, naiveStacks(input), "latin1");
    break;
  case "naive-sort":
    writeFileSync(output, naiveSort(input), "latin1");
    break;
  case "stacks":
    code = await runPageOwnerSort(["--stacks", input, output], io);
    break;
  case "sort":
    code = await runPageOwnerSort([input, output], io);
    break;
  default:
    throw new Error(`unknown impl ${impl}`);
}
const ms = performance.now() - t0;
const bytes = statSync(input).size;
process.stdout.write(`${JSON.stringify({ impl, code, ms, bytes, maxRssKiB: process.resourceUsage().maxRSS })}\n`);
