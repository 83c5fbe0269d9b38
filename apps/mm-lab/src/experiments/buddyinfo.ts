import { GFP_HIGHUSER_MOVABLE, GFP_KERNEL, __GFP_COMP, __GFP_NOWARN } from "@mm/api";
import { createMachine } from "@mm/buddy";
import { createSim, createWorkload, createWorkloadDriver } from "@mm/sim";
import { type AnyExperiment, defineExperiment, type RunIO, type RunRequest } from "../experiment.js";
import { FROM_PARAM, type FromCapture, fromOf, checkFrom } from "../from-capture.js";
import { type ConfigOf, defineParams } from "../params.js";

export interface BuddyinfoResult {
  readonly before: string;
  readonly after: string;
  readonly allocated: number;
  readonly failed: number;
  readonly freed: number;
  readonly livePages: number;
}

/**
 * Boots a machine, prints /proc/buddyinfo, runs a mixed kernel + user allocation stream for a few
 * simulated seconds (half the objects still alive at the end), and prints /proc/buddyinfo again.
 * With `from` the machine is the imported capture (its real layout before the workload, its
 * allocations kept), else a fresh `memoryMiB` machine.
 */
export function runBuddyinfo(memoryMiB: number, seed: number, seconds: number, from: FromCapture | null = null): BuddyinfoResult {
  const sim = createSim({ seed });
  const machine = from !== null ? from.machine({ clock: sim, tasks: sim }) : createMachine({ memoryBytes: memoryMiB * 1024 * 1024, clock: sim, tasks: sim, thp: true });
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

export const BUDDYINFO_PARAMS = defineParams({
  memory: {
    kind: "size",
    unit: "MiB",
    min: 16,
    max: 65536,
    default: 512,
    doc: "guest memory",
    why: "a small VM whose /proc/buddyinfo fits on one screen line per zone",
  },
  seconds: {
    kind: "duration",
    unit: "s",
    min: 0,
    max: 3600,
    default: 5,
    doc: "simulated seconds of workload",
    why: "2.5x the anon objects' 2 s mean lifetime, so the free lists have churned",
  },
  from: FROM_PARAM,
});

type BuddyinfoConfig = ConfigOf<typeof BUDDYINFO_PARAMS>;

export const buddyinfo: AnyExperiment = defineExperiment({
  name: "buddyinfo",
  summary: "boot a machine, print /proc/buddyinfo before and after a mixed allocation workload",
  params: BUDDYINFO_PARAMS,
  seeds: { first: 1, count: 1, many: false, why: "a demo of one machine" },
  metrics: {
    allocated: { kind: "number", doc: "allocations that succeeded" },
    failed: { kind: "number", doc: "allocations that failed" },
    freed: { kind: "number", doc: "frees" },
    livePages: { kind: "number", unit: "pages", doc: "pages still allocated at the end" },
  },
  check: (c: BuddyinfoConfig) => checkFrom(BUDDYINFO_PARAMS, c, ["memory"], "the capture's machine has its own size"),
  runOne(c: BuddyinfoConfig, seed: number) {
    const r = runBuddyinfo(c.memory, seed, c.seconds, fromOf(c));
    return { metrics: { allocated: r.allocated, failed: r.failed, freed: r.freed, livePages: r.livePages } };
  },
  report(req: RunRequest<BuddyinfoConfig>, io: RunIO) {
    const from = fromOf(req.config);
    const r = runBuddyinfo(req.config.memory, req.seeds[0] ?? 1, req.config.seconds, from);
    if (req.json) {
      io.write(`${JSON.stringify(r)}\n`);
      return;
    }
    io.write(from === null ? `# /proc/buddyinfo after boot\n${r.before}\n` : `# /proc/buddyinfo of the imported machine (${from.label})\n${r.before}\n`);
    io.write(`# workload: ${r.allocated} allocations (${r.failed} failed), ${r.freed} frees, ${r.livePages} pages still allocated\n`);
    io.write(`# /proc/buddyinfo after the workload\n${r.after}`);
  },
});
