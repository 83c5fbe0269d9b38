/**
 * One run of the seed-004 scenario on a guest that got where it is by running: the kernel's
 * memory, a few daemons, a service faulting its memory in page by page (THP only where it
 * madvised) while background reads grow the page cache, the cache filling what is left; then
 * the service restarts and its new instance faults the freed memory back in around the time free
 * page reporting wakes up (PAGE_REPORTING_DELAY after the free). Wires @mm/sim, @mm/buddy (via
 * the guest), @mm/page-reporting.
 */
import { GFP_KERNEL, MmError, PAGE_SHIFT, WMARK_HIGH, WMARK_LOW } from "@mm/api";
import {
  calculateZoneOrderThreshold,
  type CapacityRule,
  capacityFromThreshold,
  createPageReporting,
  createVirtioBalloon,
  PAGE_REPORTING_DELAY_NS,
  type PageReporting,
  reportingPolicy,
  type VirtioBalloon,
} from "@mm/page-reporting";
import { createSim, type Prng, type Sim } from "@mm/sim";
import { CALIBRATION, DEFAULT_DEVICE, DEVICES, type DeviceModel, workerCpuNs } from "./costs.js";
import { Guest } from "./guest.js";
import type { GuestTask, TaskSpec } from "./mm.js";
import { GFP_PAGECACHE, GFP_READAHEAD } from "./vmscan.js";

const MS = 1_000_000;
/** Pages per MiB. */
const MIB_PAGES = 1 << (20 - PAGE_SHIFT);

/** The control: the same run with free page reporting off. */
export const REPORTING_OFF = "off";

/**
 * The knobs of one run: everything that decides its outcome besides the seed. Each default has
 * its reason beside it; the README's "Defaults" table repeats them with sources.
 */
export interface ScenarioConfig {
  /** "off" or a @mm/page-reporting policy name. @defaultValue "fixed" */
  readonly policy: string;
  /** Guest memory. Seed 004: "our 512MiB tiny instances". @defaultValue 512 */
  readonly guestMiB: number;
  /**
   * The restarting service's anonymous memory: what its exit frees. Seed 004: "100MiB free" and
   * one order-10 batch of 128 MiB. @defaultValue 128
   */
  readonly freedMiB: number;
  /**
   * The new instance starts faulting this many PAGE_REPORTING_DELAYs (2 s) after the old one
   * exited. systemd's RestartSec defaults to 100 ms, then exec and start-up. @defaultValue 0.5
   */
  readonly startDelayRatio: number;
  /** Host behind the balloon (costs.ts DEVICES). @defaultValue "4k-host" */
  readonly device: string;
  /** Unmovable kernel memory (slab, stacks, page tables) besides the reserved image and memmap, %. @defaultValue 6 */
  readonly kernelPct: number;
  /** Anonymous memory of the daemons (init, journald, sshd, an agent), %. @defaultValue 10 */
  readonly daemonsPct: number;
  /**
   * Cold page cache left once the guest has run a while, %: a tiny instance is sized to its
   * workload, so a resident app (a database) takes the rest. @defaultValue 2
   */
  readonly cachePct: number;
  /** Mapped files (binaries, libraries, data) of the service, the app and the daemons, %. @defaultValue 6 */
  readonly filesPct: number;
  /** Share of the service's VMA it madvise(MADV_HUGEPAGE)s (a JVM heap would). @defaultValue 50 */
  readonly madvisedPct: number;
  /** The service faults its memory in at this rate, MiB/s (uniform per instance). @defaultValue [96, 160] */
  readonly rampMiBps: readonly [number, number];
  /** Background reads growing the page cache all along (logs, updates), MiB/s. @defaultValue 1 */
  readonly backgroundMiBps: number;
  /** The new instance needs the old one's size times 1 + U(-g, g) %. @defaultValue 2 */
  readonly growthPct: number;
  /** page_reporting_order; -1 = the kernel's default (pageblock order 9). @defaultValue -1 */
  readonly reportingOrder: number;
  /** THP: "boot" = hugepage_init's rule (on from 512 MiB of totalram, mode madvise), "on", "off". @defaultValue "boot" */
  readonly thp: "boot" | "on" | "off";
  /**
   * Per-cpu page lists as 6.1 has them (@mm/buddy's pcp): the exit's order-0 frees pass through
   * them, and up to pcp->high pages per CPU stay there, neither free nor reportable. @defaultValue true
   */
  readonly pcp: boolean;
  /** vCPUs of the guest: the 6.1 capture's `qemu -smp 2`, and a tiny cloud instance's 2 vCPUs. @defaultValue 2 */
  readonly cpus: number;
  /** Series sampling period. @defaultValue 10 */
  readonly sampleMs: number;
  /** Keep the time series. @defaultValue false */
  readonly keepSeries: boolean;
}

export const DEFAULT_SCENARIO: ScenarioConfig = {
  policy: "fixed",
  guestMiB: 512,
  freedMiB: 128,
  startDelayRatio: 0.5,
  device: DEFAULT_DEVICE,
  kernelPct: 6,
  daemonsPct: 10,
  cachePct: 2,
  filesPct: 6,
  madvisedPct: 50,
  rampMiBps: [96, 160],
  backgroundMiBps: 1,
  growthPct: 2,
  reportingOrder: -1,
  thp: "boot",
  pcp: true,
  cpus: 2,
  sampleMs: 10,
  keepSeries: false,
};

/** Names of the per-run time series (every sampleMs from the exit), in this order. */
export const SERIES_NAMES = ["t_ms", "guest_free_mib", "isolated_mib", "host_resident_mib", "host_returned_mib", "oom_kills"] as const;
export type SeriesName = (typeof SERIES_NAMES)[number];
export type RunSeries = Readonly<Record<SeriesName, readonly number[]>>;

/** What a guest owner (and the host) saw from the exit on. Sizes in MiB, times in ms. */
export interface RunMetrics {
  /** OOM kills (any task), whether the restarting service was one of the victims, and panics. */
  readonly oomKills: number;
  readonly serviceKilled: number;
  readonly oomPanics: number;
  /** Time below the min watermark, direct reclaim stall, pages reclaimed directly and by kswapd. */
  readonly belowMinMs: number;
  readonly reclaimStallMs: number;
  readonly directReclaimMiB: number;
  readonly kswapdReclaimMiB: number;
  /** Page cache refaults (evicted file pages read back) and host refaults of discarded pages. */
  readonly cacheRefaults: number;
  readonly hostRefaultMiB: number;
  readonly hostRefaultMs: number;
  /** The new instance's fault-in time; -1 if it was killed. */
  readonly rampMs: number;
  /** Of the freed memory, the share that sat in free blocks of at least the reporting order right after the exit. */
  readonly freedReportablePct: number;
  /** Pages on the per-cpu lists right after the exit (neither free nor reportable), MiB. */
  readonly pcpAfterExitMiB: number;
  readonly thpFaults: number;
  readonly thpFallbacks: number;
  /** Reporting. */
  readonly reportCalls: number;
  readonly flushReports: number;
  readonly sgInits: number;
  /**
   * Where Pang and Duyck differ. Order boundaries at which the capacity used allowed more blocks
   * than Pang's rule gives on the free memory of that moment (a stale threshold, for `pang`), and
   * the MiB those extra blocks could take (capped by the blocks the order had).
   */
  readonly staleOrders: number;
  readonly staleMiB: number;
  /** sg_init_table entries written (drains and re-inits) and the worker's guest CPU (costs.ts WORKER_CPU). */
  readonly sgInitEntries: number;
  readonly workerCpuUs: number;
  /** The lowest NR_FREE_PAGES - low watermark of the user zone at a report() call (isolation at its height), MiB; at the exit if none. */
  readonly minHeadroomMiB: number;
  readonly peakIsolatedMiB: number;
  readonly passes: number;
  /** Host memory returned (discarded), averaged over the window and at its end. */
  readonly hostReturnedAvgMiB: number;
  readonly hostReturnedEndMiB: number;
  /** Simulated time of the window (exit to end). */
  readonly windowMs: number;
}

/** One run: its configuration, seed, metrics, the kernel's OOM lines, and the series if kept. */
export interface RunResult {
  readonly config: ScenarioConfig;
  readonly seed: number;
  readonly metrics: RunMetrics;
  readonly oomLog: readonly string[];
  readonly series: RunSeries | null;
}

/** The device of a config. @throws MmError EINVAL for an unknown name */
export function deviceOf(name: string): DeviceModel {
  const d = DEVICES.find((x) => x.name === name);
  if (d === undefined) throw new MmError("EINVAL", `unknown device "${name}" (known: ${DEVICES.map((x) => x.name).join(", ")})`);
  return d;
}

/** memblock reservations: the kernel image (16 MiB at 16 MiB) and the memmap (64 bytes a page). */
function reservedPages(guestMiB: number): number {
  const nrPages = guestMiB * MIB_PAGES;
  return 16 * MIB_PAGES + Math.ceil((nrPages * 64) / 4096);
}

/**
 * The resident app's share, %: what is left of the guest after the reservations, the kernel,
 * the daemons, the files, the cold cache, the service (with its growth) and kswapd's band (the
 * free memory between the low and high watermarks, taken as 2 %).
 */
export function appPctOf(c: ScenarioConfig): number {
  const reservedPct = (100 * reservedPages(c.guestMiB)) / (c.guestMiB * MIB_PAGES);
  const servicePct = (100 * c.freedMiB * (1 + c.growthPct / 100)) / c.guestMiB;
  return 100 - reservedPct - c.kernelPct - c.daemonsPct - c.filesPct - c.cachePct - servicePct - 2;
}

/** Validate a config: bad values are MmError EINVAL before anything runs. */
export function checkScenarioConfig(c: ScenarioConfig): void {
  const bad = (what: string): never => {
    throw new MmError("EINVAL", what);
  };
  if (c.policy !== REPORTING_OFF) reportingPolicy(c.policy);
  deviceOf(c.device);
  if (!Number.isInteger(c.guestMiB) || c.guestMiB < 128 || c.guestMiB > 16384) bad(`guest size ${c.guestMiB} MiB not in 128..16384`);
  if (!(Number.isInteger(c.freedMiB) && c.freedMiB >= 8)) bad(`freed size ${c.freedMiB} MiB is not an integer >= 8`);
  if (!(c.startDelayRatio >= 0 && c.startDelayRatio <= 10)) bad(`start delay ratio ${c.startDelayRatio} not in [0, 10]`);
  for (const [k, v] of [["kernelPct", c.kernelPct], ["daemonsPct", c.daemonsPct], ["cachePct", c.cachePct], ["filesPct", c.filesPct], ["madvisedPct", c.madvisedPct]] as const)
    if (!(v >= 0 && v <= 100)) bad(`${k} ${v} not in [0, 100]`);
  if (c.daemonsPct < 4) bad(`daemonsPct ${c.daemonsPct} below 4 (init, journald and sshd take 4 %)`);
  if (appPctOf(c) < 0) bad(`the service (${c.freedMiB} MiB), kernel, daemons, files and cache do not fit a ${c.guestMiB} MiB guest`);
  if (!(c.rampMiBps[0] > 0 && c.rampMiBps[1] >= c.rampMiBps[0])) bad("ramp rate range");
  if (!(c.backgroundMiBps >= 0)) bad(`background read rate ${c.backgroundMiBps} below 0`);
  if (!(c.growthPct >= 0 && c.growthPct <= 20)) bad(`growth ${c.growthPct} % not in [0, 20]`);
  if (!Number.isInteger(c.reportingOrder) || c.reportingOrder < -1 || c.reportingOrder > 10) bad(`reporting order ${c.reportingOrder} not in -1..10`);
  if (c.thp !== "boot" && c.thp !== "on" && c.thp !== "off") bad(`thp "${String(c.thp)}" is not boot, on or off`);
  if (!(c.sampleMs >= 1)) bad(`sample period ${c.sampleMs} ms below 1`);
  if (typeof c.pcp !== "boolean") bad(`pcp ${String(c.pcp)} is not a boolean`);
  if (!Number.isInteger(c.cpus) || c.cpus < 1 || c.cpus > 64) bad(`cpus ${c.cpus} not in 1..64`);
}

/** A uniform number in [lo, hi) from the run's PRNG. */
function uniform(p: Prng, lo: number, hi: number): number {
  return lo + p.nextFloat() * (hi - lo);
}

/** The wiring of one run, for tests that watch it event by event. */
export interface ScenarioRig {
  readonly sim: Sim;
  readonly guest: Guest;
  readonly balloon: VirtioBalloon;
  /** null in the control. */
  readonly reporter: PageReporting | null;
  /** The restarting service's instances (the second once it started). */
  readonly instances: readonly GuestTask[];
  /** Simulated ns of the exit (-1 before it). */
  readonly exitNs: number;
}

/** The zone user memory lives in: the highest populated one (DMA32 up to 4 GiB). */
function mainZone(g: Guest): number {
  let zi = 0;
  for (const z of g.machine.zones) if (z.managed > 0) zi = z.idx;
  return zi;
}

/** Free pages in blocks of at least `order` (buddyinfo summed over zones). */
function freeAtOrAbove(g: Guest, order: number): number {
  const m = g.machine;
  let n = 0;
  for (const z of m.zones) {
    if (z.managed === 0) continue;
    for (let o = order; o <= m.maxOrder; o++) n += m.nrFree(z.idx, o) << o;
  }
  return n;
}

/**
 * Run once. Same (config, seed) -> the same result, bit for bit. `onEvent` (tests) is called
 * after every simulated event with the rig.
 */
export function runScenario(cfg: ScenarioConfig, seed: number, onEvent?: (rig: ScenarioRig) => void): RunResult {
  checkScenarioConfig(cfg);
  const dev = deviceOf(cfg.device);
  const sim = createSim({ seed });
  const prng = sim.prng.fork("reporting-guest");
  const nrPages = cfg.guestMiB * MIB_PAGES;
  const pct = (p: number): number => Math.round((nrPages * p) / 100);

  // --- file layout: each task's mapped files, then the cold files the background reads -------
  const serviceFiles = pct(cfg.filesPct / 3);
  const appFiles = pct(cfg.filesPct / 3);
  const daemonFiles = pct(cfg.filesPct / 3);
  const coldStart = serviceFiles + appFiles + daemonFiles;
  const nrFiles = coldStart + 2 * nrPages;
  const oomLog: string[] = [];
  const guest = new Guest({
    memoryBytes: cfg.guestMiB * 1024 * 1024,
    nrFiles,
    costs: { reclaimNsPerPage: CALIBRATION.reclaimCleanNsPerPage, rereadNsPerPage: CALIBRATION.rereadNsPerPage },
    sched: sim,
    // The kernel image (loaded at 16 MiB, CONFIG_PHYSICAL_START) and the memmap (64 bytes per page)
    // are memblock-reserved: that is why a "512 MiB" guest has less than 512 MiB of totalram.
    machine: {
      clock: sim,
      pcp: cfg.pcp,
      cpus: cfg.cpus,
      reserved: [
        { startPfn: 4096, endPfn: 4096 + 16 * MIB_PAGES },
        { startPfn: nrPages - (reservedPages(cfg.guestMiB) - 16 * MIB_PAGES), endPfn: nrPages },
      ],
    },
    log: (l) => oomLog.push(l),
  });
  const machine = guest.machine;
  const thpOn = cfg.thp === "on" || (cfg.thp === "boot" && machine.totalramPages() >= 512 * MIB_PAGES);
  if (thpOn) machine.setTransparentHugepage(true);

  const balloon = createVirtioBalloon({
    nrPages: machine.endPfn,
    perRequestNs: dev.perRequestNs,
    perMiBNs: dev.perMiBNs,
    refaultNsPerPage: dev.refaultNsPerPage,
  });
  machine.addHooks(balloon.hooks);
  // Registered once the guest has settled (see the timeline): a guest that has run for hours has
  // long reported what was free then, and refaulted it since; registration requests a pass 2 s
  // later, which the watermark gate turns away (free memory sits in kswapd's band).
  const policy = cfg.policy === REPORTING_OFF ? null : reportingPolicy(cfg.policy);
  let reporter = null as PageReporting | null;
  // The capacity each order got vs Pang's rule on the free memory of that moment.
  let staleOrders = 0;
  let stalePages = 0;
  const watch = (rule: CapacityRule): CapacityRule => ({
    name: rule.name,
    beginZone: (area, zone, ro) => rule.beginZone(area, zone, ro),
    capacity: (area, zone, order, ro) => {
      const c = rule.capacity(area, zone, order, ro);
      if (exitNs < 0) return c;
      const fresh = capacityFromThreshold(order, calculateZoneOrderThreshold(area, zone, ro));
      const blocks = area.nrFree(zone, order);
      if (c > fresh && blocks > fresh) {
        staleOrders++;
        stalePages += (Math.min(c, blocks) - fresh) * 2 ** order;
      }
      return c;
    },
  });
  // report() sees the batch at its height: how far isolation has pushed free memory toward low.
  let minHeadroom = Infinity;
  const device = {
    report: (sgl: Parameters<VirtioBalloon["report"]>[0], start: number, nents: number): number => {
      if (exitNs >= 0) {
        const zi = mainZone(guest);
        const h = machine.zoneFreePages(zi) - machine.zoneWatermark(zi, WMARK_LOW);
        if (h < minHeadroom) minHeadroom = h;
      }
      return balloon.report(sgl, start, nents);
    },
  };
  const register = (): void => {
    if (policy === null) return;
    reporter = createPageReporting({
          area: machine,
          device,
          scheduler: sim,
          capacityRule: watch(policy.capacityRule()),
          mechanism: policy.mechanism(),
          pageReportingOrder: cfg.reportingOrder,
      onDrain: (pages) => {
        guest.noteWatermark();
        if (exitNs >= 0 && pages > peakIsolated) peakIsolated = pages;
      },
    });
  };
  const reportingOrder = cfg.reportingOrder < 0 ? machine.pageblockOrder : cfg.reportingOrder;

  // Largest batch isolated after the exit (drains report each batch's pages; samples catch the rest).
  let peakIsolated = 0;
  let exitNs = -1;

  // --- boot: kernel memory, then the daemons fault their memory and read their files ----------
  for (let i = pct(cfg.kernelPct); i > 0; i--) if (machine.allocPages(0, GFP_KERNEL) < 0) break;
  const agentPct = cfg.daemonsPct - 4;
  const daemonSpecs: [string, number, number, boolean, number][] = [
    // comm, anon %, oom_score_adj (systemd units: journald -250), unkillable (pid 1), files
    ["systemd", 1, 0, true, Math.round(daemonFiles / 10)],
    ["systemd-journal", 2, -250, false, Math.round((daemonFiles * 2) / 10)],
    ["sshd", 1, 0, false, Math.round(daemonFiles / 10)],
    ["agent", agentPct, 0, false, daemonFiles - 4 * Math.round(daemonFiles / 10)],
    ["app", appPctOf(cfg), 0, false, appFiles],
  ];
  let fileCursor = serviceFiles;
  for (const [comm, anon, adj, unkillable, files] of daemonSpecs) {
    const spec: TaskSpec = { comm, uid: 0, oomScoreAdj: adj, unkillable, vmPages: pct(anon), madvisedPages: 0, fileStart: fileCursor, fileLen: files };
    fileCursor += files;
    const t = guest.spawn(spec);
    // interleaved at the granularity of a fault-around / readahead window
    let f = 0;
    while (t.virt < t.vmPages || f < files) {
      if (t.virt < t.vmPages) guest.faultAnon(t, 64);
      for (let k = 0; k < 16 && f < files; k++, f++) guest.accessFile(t, spec.fileStart + f, GFP_READAHEAD);
    }
  }

  // --- the background reader: cold files, GFP_READAHEAD, all along ----------------------------
  let coldCursor = coldStart;
  const readerPeriodNs = 10 * MS;
  const readerPages = (cfg.backgroundMiBps * MIB_PAGES * readerPeriodNs) / 1e9;
  let readerOwed = 0;
  const readCold = (n: number): void => {
    for (let i = 0; i < n; i++) {
      guest.accessFile(null, coldCursor, GFP_READAHEAD);
      coldCursor = coldCursor + 1 < nrFiles ? coldCursor + 1 : coldStart;
    }
  };
  const reader = (): void => {
    readerOwed += readerPages;
    const n = Math.floor(readerOwed);
    readerOwed -= n;
    readCold(n);
    guest.noteWatermark();
    sim.schedule(readerPeriodNs, reader);
  };
  if (readerPages > 0) sim.schedule(readerPeriodNs, reader);

  // --- the service: an instance faults its VMA in, touching its files as it runs --------------
  const serviceVm = cfg.freedMiB * MIB_PAGES;
  const madvised = Math.floor(((serviceVm * cfg.madvisedPct) / 100) / 512) * 512;
  const instances: GuestTask[] = [];
  const startInstance = (vmPages: number, miBps: number, cpu: number, done: (ok: boolean, at: number) => void): GuestTask => {
    const t = guest.spawn({ comm: "service", uid: 1000, oomScoreAdj: 0, vmPages, madvisedPages: Math.min(madvised, vmPages), fileStart: 0, fileLen: serviceFiles, cpu });
    instances.push(t);
    const perMs = (miBps * MIB_PAGES) / 1000;
    // its working set of file pages is touched once every 100 ms of its own run time
    const slice = Math.max(1, Math.ceil(serviceFiles / 100));
    let owed = 0;
    let cursor = 0;
    const tick = (): void => {
      if (t.killed) return done(false, sim.now());
      guest.takeCharge();
      const refault0 = balloon.refaultNs;
      owed += perMs;
      const want = Math.floor(owed);
      if (want > 0) owed -= guest.faultAnon(t, want);
      for (let k = 0; k < slice && serviceFiles > 0; k++) {
        guest.accessFile(t, cursor, GFP_PAGECACHE);
        cursor = cursor + 1 < serviceFiles ? cursor + 1 : 0;
      }
      guest.noteWatermark();
      const stall = guest.takeCharge() + (balloon.refaultNs - refault0);
      if (t.killed) return done(false, sim.now());
      if (t.virt >= t.vmPages) return done(true, sim.now());
      sim.schedule(MS + stall, tick);
    };
    tick();
    return t;
  };

  // --- timeline -------------------------------------------------------------------------------
  let endNs = Infinity;
  let v2Start = 0;
  let rampMs = -1;
  let snap: ReturnType<typeof snapshot> | null = null;
  let freedReportablePct = 0;
  const series: Record<SeriesName, number[]> | null = cfg.keepSeries
    ? { t_ms: [], guest_free_mib: [], isolated_mib: [], host_resident_mib: [], host_returned_mib: [], oom_kills: [] }
    : null;
  let returnedSum = 0;
  let samples = 0;
  function snapshot() {
    const st = reporter === null ? null : reporter.stats();
    return {
      oomKills: guest.stats.oomKills,
      oomPanics: guest.stats.oomPanics,
      belowMinNs: guest.stats.belowMinNs,
      reclaimStallNs: guest.stats.reclaimStallNs,
      direct: guest.cache.stats.directReclaimed,
      kswapd: guest.cache.stats.kswapdReclaimed,
      cacheRefaults: guest.cache.stats.refaults,
      hostRefaultPages: balloon.refaultPages,
      hostRefaultNs: balloon.refaultNs,
      reportCalls: st === null ? 0 : st.reportCalls,
      flushReports: st === null ? 0 : st.flushReports,
      sgInits: st === null ? 0 : st.sgInits,
      sgInitEntries: st === null ? 0 : st.sgInitEntries + (reporter === null ? 0 : reporter.mechanismStats().reinitEntries),
      reportedBlocks: st === null ? 0 : st.reportedBlocks,
      passes: st === null ? 0 : st.passes,
    };
  }
  const sampleNs = cfg.sampleMs * MS;
  const sample = (): void => {
    guest.noteWatermark();
    const iso = reporter === null ? 0 : reporter.isolatedPages;
    if (iso > peakIsolated) peakIsolated = iso;
    returnedSum += balloon.discardedPages;
    samples++;
    if (series !== null) {
      series.t_ms.push((sim.now() - exitNs) / MS);
      series.guest_free_mib.push(machine.freePagesTotal() / MIB_PAGES);
      series.isolated_mib.push(iso / MIB_PAGES);
      series.host_resident_mib.push(balloon.hostResidentPages / MIB_PAGES);
      series.host_returned_mib.push(balloon.discardedPages / MIB_PAGES);
      series.oom_kills.push(guest.stats.oomKills - (snap === null ? 0 : snap.oomKills));
    }
    if (sim.now() + sampleNs <= endNs) sim.schedule(sampleNs, sample);
  };

  const rate1 = uniform(prng, cfg.rampMiBps[0], cfg.rampMiBps[1]);
  const rate2 = uniform(prng, cfg.rampMiBps[0], cfg.rampMiBps[1]);
  const growth = 1 + uniform(prng, -cfg.growthPct, cfg.growthPct) / 100;
  const fillFrac = prng.nextFloat();
  const exitJitterNs = Math.round(uniform(prng, 0, 500)) * MS;
  const delayNs = Math.round(cfg.startDelayRatio * PAGE_REPORTING_DELAY_NS);
  // The scheduler places each instance on some vCPU (drawn last: the draws above stay as they were).
  // (machine.cpus: 1 without pcp lists, where a CPU has nothing of its own)
  const cpu1 = Math.floor(prng.nextFloat() * machine.cpus);
  const cpu2 = Math.floor(prng.nextFloat() * machine.cpus);
  let pcpAfterExit = 0;
  let exitHeadroom = 0;
  sim.schedule(500 * MS, () => {
    startInstance(serviceVm, rate1, cpu1, (_ok, at) => {
      // The guest lives on: the cache fills free memory until kswapd's band [low, high].
      sim.scheduleAt(at + 500 * MS, () => {
        const zi = mainZone(guest);
        const low = machine.zoneWatermark(zi, WMARK_LOW);
        const target = Math.round(low + fillFrac * (machine.zoneWatermark(zi, WMARK_HIGH) - low));
        for (let guard = 0; machine.zoneFreePages(zi) > target && guard < nrPages; guard++) readCold(1);
        guest.noteWatermark();
        register();
      });
      // the exit comes after registration's own pass (2 s after it) is over
      sim.scheduleAt(at + 3000 * MS + exitJitterNs, () => {
        // --- the exit: the metrics window opens ---
        exitNs = sim.now();
        snap = snapshot();
        const before = freeAtOrAbove(guest, reportingOrder);
        const freed = guest.exit(instances[0]);
        freedReportablePct = freed === 0 ? 0 : (100 * (freeAtOrAbove(guest, reportingOrder) - before)) / freed;
        pcpAfterExit = machine.pcpPages();
        const zi = mainZone(guest);
        exitHeadroom = machine.zoneFreePages(zi) - machine.zoneWatermark(zi, WMARK_LOW);
        const v2Pages = Math.round(serviceVm * growth);
        endNs = exitNs + delayNs + Math.round(((v2Pages / MIB_PAGES / cfg.rampMiBps[0]) * 1e9 * 3) / 2) + 2 * PAGE_REPORTING_DELAY_NS;
        sample();
        sim.schedule(delayNs, () => {
          v2Start = sim.now();
          startInstance(v2Pages, rate2, cpu2, (ok, doneAt) => {
            if (ok) rampMs = (doneAt - v2Start) / MS;
          });
        });
      });
    });
  });

  const rig = (): ScenarioRig => ({ sim, guest, balloon, reporter, instances, exitNs });
  if (onEvent === undefined) {
    while (sim.pending > 0 && sim.queue.nextTime() <= endNs) sim.runNext();
  } else {
    while (sim.pending > 0 && sim.queue.nextTime() <= endNs) {
      sim.runNext();
      onEvent(rig());
    }
  }
  if (exitNs < 0 || snap === null) throw new MmError("BAD_STATE", "the run ended before the service exited");
  guest.noteWatermark();
  const end = snapshot();
  const s0 = snap as ReturnType<typeof snapshot>;
  if (reporter !== null) reporter.unregister();
  const serviceKilled = instances.slice(1).some((t) => t.killed) ? 1 : 0;
  const thpFaults = instances.length > 1 ? instances[1].thpFaults : 0;
  const thpFallbacks = instances.length > 1 ? instances[1].thpFallbacks : 0;
  const mib = (pages: number): number => pages / MIB_PAGES;
  const metrics: RunMetrics = {
    oomKills: end.oomKills - s0.oomKills,
    serviceKilled,
    oomPanics: end.oomPanics - s0.oomPanics,
    belowMinMs: (end.belowMinNs - s0.belowMinNs) / MS,
    reclaimStallMs: (end.reclaimStallNs - s0.reclaimStallNs) / MS,
    directReclaimMiB: mib(end.direct - s0.direct),
    kswapdReclaimMiB: mib(end.kswapd - s0.kswapd),
    cacheRefaults: end.cacheRefaults - s0.cacheRefaults,
    hostRefaultMiB: mib(end.hostRefaultPages - s0.hostRefaultPages),
    hostRefaultMs: (end.hostRefaultNs - s0.hostRefaultNs) / MS,
    rampMs,
    freedReportablePct,
    pcpAfterExitMiB: mib(pcpAfterExit),
    thpFaults,
    thpFallbacks,
    reportCalls: end.reportCalls - s0.reportCalls,
    flushReports: end.flushReports - s0.flushReports,
    sgInits: end.sgInits - s0.sgInits,
    staleOrders,
    staleMiB: mib(stalePages),
    sgInitEntries: end.sgInitEntries - s0.sgInitEntries,
    workerCpuUs: workerCpuNs(end.reportCalls - s0.reportCalls, end.sgInitEntries - s0.sgInitEntries, end.reportedBlocks - s0.reportedBlocks) / 1000,
    minHeadroomMiB: mib(minHeadroom === Infinity ? exitHeadroom : minHeadroom),
    peakIsolatedMiB: mib(peakIsolated),
    passes: end.passes - s0.passes,
    hostReturnedAvgMiB: samples === 0 ? 0 : mib(returnedSum / samples),
    hostReturnedEndMiB: mib(balloon.discardedPages),
    windowMs: (endNs - exitNs) / MS,
  };
  guest.cache.release();
  guest.machine.dispose();
  return { config: cfg, seed, metrics, oomLog, series };
}
