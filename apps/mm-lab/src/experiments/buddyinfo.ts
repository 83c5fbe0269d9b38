import { GFP_HIGHUSER_MOVABLE, GFP_KERNEL, __GFP_COMP, __GFP_NOWARN } from "@mm/api";
import { createMachine } from "@mm/buddy";
import { createSim, createWorkload, createWorkloadDriver } from "@mm/sim";
import type { Experiment, ExperimentArgs } from "../experiment.js";

export interface BuddyinfoResult {
  readonly before: string;
  readonly after: string;
  readonly allocated: number;
  readonly failed: number;
  readonly freed: number;
  readonly livePages: number;
}

function num(v: string | boolean | undefined, dflt: number): number {
  if (typeof v !== "string") return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`not a non-negative number: ${v}`);
  return n;
}

/**
 * Boots a machine, prints /proc/buddyinfo, runs a mixed kernel + user allocation stream for a few
 * simulated seconds (half the objects still alive at the end), and prints /proc/buddyinfo again.
 */
export function runBuddyinfo(memoryMiB: number, seed: number, seconds: number): BuddyinfoResult {
  const sim = createSim({ seed });
  const machine = createMachine({ memoryBytes: memoryMiB * 1024 * 1024, clock: sim, tasks: sim, thp: true });
  const before = machine.buddyinfo();
  const wl = createWorkload({
    prng: sim.prng.fork("buddyinfo"),
    durationNs: seconds * 1e9,
    sites: [
      { name: "anon", weight: 8, gfp: GFP_HIGHUSER_MOVABLE | __GFP_COMP, orderWeights: [10, 0, 0, 0, 0, 0, 0, 0, 0, 1], lifetimeNs: { kind: "exp", mean: 2e9 }, comm: "memhog" },
      { name: "slab", weight: 3, gfp: GFP_KERNEL | __GFP_NOWARN, orderWeights: [6, 2, 2, 1], lifetimeNs: { kind: "mix", parts: [{ weight: 1, dist: { kind: "forever" } }, { weight: 3, dist: { kind: "exp", mean: 5e8 } }] }, comm: "kworker/0:1" },
    ],
    ratePerSec: 2000,
  });
  const driver = createWorkloadDriver(sim, wl, {
    allocate: (order, gfp) => machine.allocPages(order, gfp),
    free: (pfn, order) => machine.freePages(pfn, order),
  });
  driver.start();
  sim.runUntil(seconds * 1e9);
  machine.checkInvariants();
  const s = driver.stats;
  return { before, after: machine.buddyinfo(), allocated: s.allocated, failed: s.failed, freed: s.freed, livePages: s.livePages };
}

export const buddyinfo: Experiment = {
  name: "buddyinfo",
  summary: "boot a machine, print /proc/buddyinfo before and after a mixed allocation workload",
  options: [
    { flags: "--memory <MiB>", description: "guest memory in MiB", defaultValue: "512" },
    { flags: "--seed <n>", description: "seed of the workload", defaultValue: "1" },
    { flags: "--seconds <s>", description: "simulated seconds of workload", defaultValue: "5" },
  ],
  run(args: ExperimentArgs, io) {
    const r = runBuddyinfo(num(args.memory, 512), num(args.seed, 1), num(args.seconds, 5));
    if (args.json === true) {
      io.write(`${JSON.stringify(r)}\n`);
      return;
    }
    io.write(`# /proc/buddyinfo after boot\n${r.before}\n`);
    io.write(`# workload: ${r.allocated} allocations (${r.failed} failed), ${r.freed} frees, ${r.livePages} pages still allocated\n`);
    io.write(`# /proc/buddyinfo after the workload\n${r.after}`);
  },
};
