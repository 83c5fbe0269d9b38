/* global process, console */
// One workload on the built @mm/buddy (dist/), in its own process as workloads.md asks:
//   node bench/anchor/run-one.mjs <order0|order0_batch|mixed> [iters]
// Prints "<workload> <ops/s> ops/s" like the references, then "ok" after the invariant check.
import * as api from "@mm/api";
import * as buddy from "../../dist/index.js";
import { buddyAllocator, FULL_ITERS, WORKLOADS } from "./workloads.mjs";

const name = process.argv[2];
const wl = WORKLOADS[name];
if (wl === undefined) {
  console.error(`unknown workload ${name} (${Object.keys(WORKLOADS).join(" ")})`);
  process.exit(2);
}
const iters = Number(process.argv[3] ?? FULL_ITERS[name]);
const a = buddyAllocator(buddy, api);
const r = wl(a, iters);
console.log(`# ${name} ops=${r.ops} secs=${r.secs.toFixed(6)} digest=${(r.digest >>> 0).toString(16).padStart(8, "0")}`);
a.machine.checkInvariants();
console.log(`${name} ${(r.ops / r.secs).toFixed(0)} ops/s`);
console.log("ok");
