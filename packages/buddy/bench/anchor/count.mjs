/* global process, console, URL */
// One workload on either allocator in this process, for counting instructions (load-independent,
// unlike ops/s on a shared machine):
//   valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null --smc-check=all \
//     node --single-threaded bench/anchor/count.mjs <buddy|naive> <order0|order0_batch|mixed> <iters>
// Run it at two iteration counts and divide the difference of "I refs" by the difference of ops:
// that is instructions per op in the steady state, JIT warm-up and boot cancelled out.
// --single-threaded makes V8 compile on the main thread, so the counts repeat (±1 %).
// BUDDY_DIST=<path to dist/index.js> counts another build (e.g. main's).
import * as api from "@mm/api";
import { createZone } from "./naive-zone.mjs";
import { buddyAllocator, naiveAllocator, WORKLOADS } from "./workloads.mjs";

const [impl, wl, iters] = process.argv.slice(2);
if (WORKLOADS[wl] === undefined || (impl !== "buddy" && impl !== "naive") || !(Number(iters) > 0)) {
  console.error("usage: count.mjs <buddy|naive> <order0|order0_batch|mixed> <iters>");
  process.exit(2);
}
const buddy = impl === "buddy" ? await import(process.env.BUDDY_DIST ?? new URL("../../dist/index.js", import.meta.url).href) : null;
const a = buddy === null ? naiveAllocator(createZone) : buddyAllocator(buddy, api);
const r = WORKLOADS[wl](a, Number(iters));
console.log(`${impl} ${wl} ${iters}: ${(r.ops / r.secs / 1e6).toFixed(2)} M ops/s digest ${(r.digest >>> 0).toString(16).padStart(8, "0")}`);
