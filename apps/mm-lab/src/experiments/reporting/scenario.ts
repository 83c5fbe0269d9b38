/**
 * One run of the seed-004 scenario: a guest whose service restarts, freeing a large region (mostly
 * order-10 blocks) and faulting it back in just when free page reporting wakes up 2 s later.
 * Wires @mm/sim (clock, PRNG), @mm/buddy (the guest), @mm/page-reporting (reporter + device).
 */
import { GFP_HIGHUSER_MOVABLE, MmError, PAGE_SHIFT, WMARK_HIGH } from "@mm/api";
import { createMachine, type BuddyMachine } from "@mm/buddy";
import {
  createPageReporting,
  createVirtioBalloon,
  type PageReporting,
  type ReportingPolicy,
  type VirtioBalloon,
} from "@mm/page-reporting";
import { createSim, type Prng, type Sim } from "@mm/sim";

const MS = 1_000_000;
/** Pages per MiB. */
const MIB_PAGES = 1 << (20 - PAGE_SHIFT);

/** The knobs of the scenario. Defaults reproduce seed 004 (512 MiB guest, about 100 MiB freed). */
export interface ScenarioConfig {
  /** Guest memory. @defaultValue 512 */
  readonly guestMiB: number;
  /** page_reporting_order; -1 = the kernel's default (pageblock order 9). @defaultValue -1 */
  readonly reportingOrder: number;
  /** Service restarts per run. @defaultValue 3 */
  readonly restarts: number;
  /** Time between restarts (at least the slowest fault-in of the service plus 4.1 s). @defaultValue 8000 */
  readonly restartPeriodMs: number;
  /** Share of guest memory the service holds (the region it frees). @defaultValue 20 */
  readonly servicePct: number;
  /** Share of the first instance's 2 MiB blocks scattered among other data (stay order 9 when freed). @defaultValue 15 */
  readonly scatteredPct: number;
  /** The new instance starts this long after the old one exits (uniform). @defaultValue [1900, 2100] */
  readonly startDelayMs: readonly [number, number];
  /** It faults its memory in at this rate (uniform per restart). @defaultValue [96, 160] */
  readonly rampMiBps: readonly [number, number];
  /** Device cost per report() call. @defaultValue 100 */
  readonly perRequestUs: number;
  /** Device cost per MiB reported. @defaultValue 1000 */
  readonly perMiBUs: number;
  /** Cost of refaulting one discarded page. @defaultValue 2000 */
  readonly refaultNsPerPage: number;
  /** Series sampling period. @defaultValue 50 */
  readonly sampleMs: number;
  /** Keep the time series (for --series). @defaultValue false */
  readonly keepSeries: boolean;
}

export const DEFAULT_SCENARIO: ScenarioConfig = {
  guestMiB: 512,
  reportingOrder: -1,
  restarts: 3,
  restartPeriodMs: 8000,
  servicePct: 20,
  scatteredPct: 15,
  startDelayMs: [1900, 2100],
  rampMiBps: [96, 160],
  perRequestUs: 100,
  perMiBUs: 1000,
  refaultNsPerPage: 2000,
  sampleMs: 50,
  keepSeries: false,
};

/** Columns of one series sample. */
export const SERIES_COLUMNS = [
  "t_ms",
  "host_resident_mib",
  "host_returned_mib",
  "guest_free_mib",
  "isolated_mib",
  "alloc_failures",
] as const;

/** What one (policy, seed) run measured. Sizes in bytes or pages as named. */
export interface RunResult {
  readonly policy: string;
  readonly seed: number;
  /** User page faults that found no page (the seed's OOM). */
  readonly allocFailures: number;
  readonly allocAttempts: number;
  readonly peakIsolatedBytes: number;
  readonly reportCalls: number;
  readonly reportedBytes: number;
  readonly passes: number;
  readonly flushReports: number;
  readonly sgInits: number;
  /** From the first exit until the host holds discards for 90 % of free memory; null = not before the next exit. */
  readonly timeTo90Ms: number | null;
  /** Host memory returned (discarded pages), averaged over the run, and at its end. */
  readonly hostReturnedAvgBytes: number;
  readonly hostReturnedEndBytes: number;
  readonly refaultPages: number;
  readonly refaultNs: number;
  /** Simulated time covered. */
  readonly simNs: number;
  /** Samples, SERIES_COLUMNS.length numbers each (only with keepSeries). */
  readonly series: readonly number[];
}

/** Validate a config: bad numbers are MmError EINVAL before anything runs. */
export function checkScenarioConfig(c: ScenarioConfig): void {
  const bad = (what: string): never => {
    throw new MmError("EINVAL", what);
  };
  if (!Number.isInteger(c.guestMiB) || c.guestMiB < 64 || c.guestMiB > 65536) bad(`guest size ${c.guestMiB} MiB not in 64..65536`);
  if (!Number.isInteger(c.reportingOrder) || c.reportingOrder < -1 || c.reportingOrder > 10) bad(`reporting order ${c.reportingOrder} not in -1..10`);
  if (!Number.isInteger(c.restarts) || c.restarts < 1 || c.restarts > 100) bad(`restarts ${c.restarts} not in 1..100`);
  if (!(c.restartPeriodMs >= 3000)) bad(`restart period ${c.restartPeriodMs} ms below 3000`);
  if (!(c.servicePct > 0 && c.servicePct <= 80)) bad(`service share ${c.servicePct} % not in (0, 80]`);
  if (!(c.scatteredPct >= 0 && c.scatteredPct <= 100)) bad(`scattered share ${c.scatteredPct} % not in [0, 100]`);
  if (!(c.startDelayMs[0] >= 0 && c.startDelayMs[1] >= c.startDelayMs[0])) bad("start delay range");
  if (!(c.rampMiBps[0] > 0 && c.rampMiBps[1] >= c.rampMiBps[0])) bad("ramp rate range");
  if (!(c.perRequestUs >= 0 && c.perMiBUs >= 0 && c.refaultNsPerPage >= 0)) bad("device costs must be >= 0");
  if (!(c.sampleMs >= 1)) bad(`sample period ${c.sampleMs} ms below 1`);
}

/** A uniform integer in [lo, hi] from the run's PRNG. */
function uniform(p: Prng, lo: number, hi: number): number {
  return lo + Math.floor(p.nextFloat() * (hi - lo + 1));
}

/** The wiring of one run, kept together so tests can inspect it. */
export interface ScenarioRig {
  readonly sim: Sim;
  readonly machine: BuddyMachine;
  readonly balloon: VirtioBalloon;
  /** null in the control run. */
  readonly reporter: PageReporting | null;
}

/** The control: the same scenario with free page reporting off. */
export const REPORTING_OFF = "off";

/**
 * Run the scenario once. Same (config, policy, seed) -> the same result, bit for bit.
 * `policy` null runs the control (no reporting device). `onEvent` (tests) is called after every
 * simulated event with the rig.
 */
export function runScenario(
  cfg: ScenarioConfig,
  policy: ReportingPolicy | null,
  seed: number,
  onEvent?: (rig: ScenarioRig) => void,
): RunResult {
  checkScenarioConfig(cfg);
  const sim = createSim({ seed });
  const prng = sim.prng.fork("reporting-ab");
  const machine = createMachine({ memoryBytes: cfg.guestMiB * 1024 * 1024, clock: sim, seed });
  const nrPages = machine.endPfn;
  const balloon = createVirtioBalloon({
    nrPages,
    perRequestNs: Math.round(cfg.perRequestUs * 1000),
    perMiBNs: Math.round(cfg.perMiBUs * 1000),
    refaultNsPerPage: cfg.refaultNsPerPage,
  });
  machine.addHooks(balloon.hooks);

  // --- boot-time fill: the guest's memory is in use as 2 MiB blocks ---------------------------
  const blocks: number[] = [];
  for (;;) {
    const pfn = machine.allocPages(9, GFP_HIGHUSER_MOVABLE);
    if (pfn < 0) break;
    blocks.push(pfn);
  }
  const serviceBlocks = Math.max(1, Math.round((cfg.servicePct / 100) * (cfg.guestMiB / 2)));
  if (serviceBlocks >= blocks.length) throw new MmError("EINVAL", `service of ${serviceBlocks} blocks does not fit`);
  const runLen = Math.round(serviceBlocks * (1 - cfg.scatteredPct / 100));
  const chosen = new Uint8Array(blocks.length);
  // a contiguous run of allocations (neighbouring pfns: they merge to order 10) ...
  const runStart = uniform(prng, 0, blocks.length - runLen);
  for (let i = runStart; i < runStart + runLen; i++) chosen[i] = 1;
  // ... and scattered blocks whose buddy stays in use (they stay order 9 when freed)
  let scattered = serviceBlocks - runLen;
  for (let tries = 0; scattered > 0 && tries < blocks.length * 8; tries++) {
    const i = uniform(prng, 0, blocks.length - 1);
    if (chosen[i] === 1 || (i > 0 && chosen[i - 1] === 1) || (i + 1 < blocks.length && chosen[i + 1] === 1)) continue;
    chosen[i] = 1;
    scattered--;
  }
  // Idle headroom: kswapd keeps a zone above its high watermark, so give back other 2 MiB blocks until
  // the zone is 2 MiB above it (the newest ones; without this a big guest ends the fill at min).
  const zone = machine.zoneOf(blocks[blocks.length - 1]);
  const headroom = machine.zoneWatermark(zone, WMARK_HIGH) + 512;
  for (let i = blocks.length - 1; i >= 0 && machine.zoneFreePages(zone) < headroom; i--) {
    if (chosen[i] === 1) continue;
    machine.freePages(blocks[i], 9);
    chosen[i] = 2;
  }
  // The service instance's memory: pfns of blocks of one order.
  let service = new Int32Array(serviceBlocks * 512);
  let serviceLen = 0;
  let serviceOrder = 9;
  for (let i = 0; i < blocks.length; i++) if (chosen[i] === 1) service[serviceLen++] = blocks[i];

  // --- reporting, registered after boot (an initial request, as page_reporting_register) -------
  let allocFailures = 0;
  let allocAttempts = 0;
  const reporter: PageReporting | null =
    policy === null
      ? null
      : createPageReporting({
          area: machine,
          device: balloon,
          scheduler: sim,
          capacityRule: policy.capacityRule(),
          mechanism: policy.mechanism(),
          pageReportingOrder: cfg.reportingOrder,
          onDrain: () => check90(),
        });
  const rig: ScenarioRig = { sim, machine, balloon, reporter };

  // --- time to report 90 % of free memory, after the first exit --------------------------------
  let t90Start = -1;
  let t90Deadline = -1;
  let timeTo90Ms: number | null = null;
  function check90(): void {
    if (t90Start < 0 || timeTo90Ms !== null) return;
    const now = sim.now();
    if (now > t90Deadline) return;
    const free = machine.freePagesTotal() + (reporter === null ? 0 : reporter.isolatedPages);
    if (balloon.discardedPages >= 0.9 * free) timeTo90Ms = (now - t90Start) / MS;
  }

  // --- restarts: exit frees the region, the new instance faults it back in ----------------------
  const sampleNs = cfg.sampleMs * MS;
  // A restart comes only after the previous instance finished faulting in at the slowest rate, plus
  // 2 s of quiet (matters on big guests, where the service takes seconds to fault in).
  const rampMs = Math.ceil(((serviceBlocks * 2) / cfg.rampMiBps[0]) * 1000);
  const periodNs = Math.max(cfg.restartPeriodMs, cfg.startDelayMs[1] + rampMs + 2000) * MS;
  const exits: number[] = [];
  // The first exit comes after the pass that registration requested (at 2 s) is over.
  for (let k = 0; k < cfg.restarts; k++) exits.push(4000 * MS + k * periodNs + uniform(prng, 0, 500) * MS);
  const endNs = exits[exits.length - 1] + periodNs;

  // Bumped on every exit: a ramp of an instance that exited stops at its next tick.
  let generation = 0;
  const exitService = (): void => {
    generation++;
    for (let i = 0; i < serviceLen; i++) machine.freePages(service[i], serviceOrder);
    serviceLen = 0;
  };
  const startService = (targetPages: number, pagesPerMs: number): void => {
    service = new Int32Array(targetPages);
    serviceLen = 0;
    serviceOrder = 0;
    const gen = generation;
    let owed = 0;
    let attempted = 0;
    const tick = (): void => {
      if (gen !== generation) return;
      owed += pagesPerMs;
      let n = Math.floor(owed);
      owed -= n;
      if (n > targetPages - attempted) n = targetPages - attempted;
      for (let i = 0; i < n; i++) {
        const pfn = machine.allocPages(0, GFP_HIGHUSER_MOVABLE);
        allocAttempts++;
        if (pfn < 0) allocFailures++;
        else service[serviceLen++] = pfn;
      }
      attempted += n;
      if (attempted < targetPages) sim.schedule(MS, tick);
    };
    tick();
  };
  exits.forEach((at, k) => {
    const delay = uniform(prng, cfg.startDelayMs[0], cfg.startDelayMs[1]) * MS;
    const rate = uniform(prng, cfg.rampMiBps[0], cfg.rampMiBps[1]);
    // the new instance needs 90-100 % of what the old one held: without reporting it always fits
    const jitter = 0.9 + 0.1 * prng.nextFloat();
    sim.schedule(at, () => {
      exitService();
      if (k === 0) {
        t90Start = sim.now();
        t90Deadline = k + 1 < exits.length ? exits[k + 1] : endNs;
        check90();
      }
    });
    sim.schedule(at + delay, () => startService(Math.round(serviceBlocks * 512 * jitter), (rate * MIB_PAGES) / 1000));
  });

  // --- sampling -------------------------------------------------------------------------------
  const series: number[] = [];
  let returnedSum = 0;
  let samples = 0;
  const sample = (): void => {
    check90();
    const discarded = balloon.discardedPages;
    returnedSum += discarded;
    samples++;
    if (cfg.keepSeries) {
      series.push(
        sim.now() / MS,
        balloon.hostResidentPages / MIB_PAGES,
        discarded / MIB_PAGES,
        machine.freePagesTotal() / MIB_PAGES,
        (reporter === null ? 0 : reporter.isolatedPages) / MIB_PAGES,
        allocFailures,
      );
    }
    if (sim.now() + sampleNs <= endNs) sim.schedule(sampleNs, sample);
  };
  sample();

  if (onEvent === undefined) {
    sim.runUntil(endNs);
  } else {
    while (sim.pending > 0 && sim.queue.nextTime() <= endNs) {
      sim.runNext();
      onEvent(rig);
    }
  }
  const st = reporter === null ? null : reporter.stats();
  if (reporter !== null) reporter.unregister();
  return {
    policy: policy === null ? REPORTING_OFF : policy.name,
    seed,
    allocFailures,
    allocAttempts,
    peakIsolatedBytes: st === null ? 0 : st.peakIsolatedPages * 4096,
    reportCalls: st === null ? 0 : st.reportCalls,
    reportedBytes: st === null ? 0 : st.reportedPages * 4096,
    passes: st === null ? 0 : st.passes,
    flushReports: st === null ? 0 : st.flushReports,
    sgInits: st === null ? 0 : st.sgInits,
    timeTo90Ms,
    hostReturnedAvgBytes: Math.round((returnedSum / samples) * 4096),
    hostReturnedEndBytes: balloon.discardedPages * 4096,
    refaultPages: balloon.refaultPages,
    refaultNs: balloon.refaultNs,
    simNs: endNs,
    series,
  };
}
