/**
 * `mm-lab run pin-owner`: who still holds the pages a CMA allocation could not migrate? The
 * flagged-page tracer (RFC v2 as posted, the review's trace-unref with gets, Android's page_pinner)
 * against page_ref tracing of the CMA area as a developer would run it (per-CPU rings, the failure
 * in its own instance, trace-cmd record, or David's re-filter on the failed pfn). Default: one run,
 * one read; `--map`: the map over CPUs x buffer size x read time, seeds 1..n, with intervals.
 */
import { MIGRATE_CMA, MmError } from "@mm/api";
import { type AnyExperiment, defineExperiment, type RunIO, type RunRequest } from "../experiment.js";
import { checkFrom, FROM_PARAM, fromCapture } from "../from-capture.js";
import { type ConfigOf, defineParams, type RawArgs } from "../params.js";
import { resolveRequest } from "../request.js";
import { defaultJobs } from "../sweep/pool.js";
import { grid, meanCi, wilson } from "./pin-owner/local-sweep.js";
import { runMapSeeds } from "./pin-owner/map-pool.js";
import { DEFAULT_CONFIG, PASS_TICKS, type PinOwnerConfig, type PolicySpec, policies, type ReadResult, runPass } from "./pin-owner/run.js";

const d = DEFAULT_CONFIG;

export const PIN_OWNER_PARAMS = defineParams({
  memoryMb: { kind: "size", unit: "MiB", min: 32, max: 65536, default: d.memoryMb, doc: "RAM (the CMA area is 1/8 of it)", why: "a 1 GiB phone-class machine with a CMA area, as in seed 001's Android setting" },
  opsPerSec: {
    kind: "float",
    min: 0,
    minExclusive: true,
    max: 1e8,
    default: d.opsPerSec,
    doc: "workload operations per simulated second",
    why: "~150k puts/s, a busy phone (model choice); the read-time axis is what it scales",
  },
  nrCpus: { kind: "int", min: 1, max: 256, default: d.nrCpus, doc: "CPUs, one ftrace ring each", why: "a phone SoC: 4 little + 4 big cores" },
  bufferKb: { kind: "int", unit: "KiB", min: 4, max: 1 << 22, default: d.bufferKb, doc: "buffer_size_kb per CPU", why: "TRACE_BUF_SIZE_DEFAULT: 1408 KB per CPU" },
  nrPins: { kind: "int", min: 1, max: 32, default: d.nrPins, doc: "pages of the driver's buffer", why: "several armed pages per failure (model choice), within one COMPACT_CLUSTER_MAX batch" },
  releaseAtMs: { kind: "duration", unit: "ms", min: 1, max: 3_600_000, default: d.releaseAtMs, doc: "when the driver drops its references", why: "1.5 s after the first failure at 500 ms: the holder lets go after the failure, as in seed 001" },
  readAtMs: { kind: "duration", unit: "ms", min: 1, max: 3_600_000, default: d.readAtMs, doc: "when the user reads the buffers", why: "4 s after the driver's put (model choice; the map varies it)" },
  hotReadsPerSec: { kind: "float", min: 0, max: 1e5, default: d.hotReadsPerSec, doc: "reads of the driver's pages by another task, per second", why: "a composer at 20 Hz holding each reference ~30 ms (model choice)" },
  refilterDelayMs: { kind: "duration", unit: "ms", min: 0, max: 600_000, default: d.refilterDelayMs, doc: "failure to re-filter delay of the re-filter policy", why: "a script on the failure instance's trace_pipe reacts within a second (model choice)" },
  map: { kind: "bool", default: false, axis: false, doc: "the map over CPUs x buffer x read time, over --seeds", why: "off: the single run's table; the map is the evidence" },
  from: FROM_PARAM,
});

type PinOwnerParams = ConfigOf<typeof PIN_OWNER_PARAMS>;

function configOf(c: PinOwnerParams, seed: number): PinOwnerConfig {
  return {
    ...d,
    seed,
    memoryMb: c.memoryMb,
    opsPerSec: c.opsPerSec,
    nrCpus: c.nrCpus,
    bufferKb: c.bufferKb,
    nrPins: c.nrPins,
    releaseAtMs: c.releaseAtMs,
    readAtMs: c.readAtMs,
    hotReadsPerSec: c.hotReadsPerSec,
    refilterDelayMs: c.refilterDelayMs,
    from: c.from,
  };
}

/** The experiment's configuration from CLI arguments (defaults: DEFAULT_CONFIG). */
export function pinOwnerConfig(args: RawArgs): PinOwnerConfig {
  const req = resolveRequest(pinOwnerExperiment, args) as RunRequest<PinOwnerParams>;
  return configOf(req.config, req.seeds[0] ?? d.seed);
}

const pad = (s: string, n: number): string => (s.length >= n ? s.slice(0, n) : s + " ".repeat(n - s.length));
const lpad = (s: string, n: number): string => (s.length >= n ? s : " ".repeat(n - s.length) + s);
function fmtBytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)}M`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)}K`;
  return `${Math.round(n)}B`;
}
const fmtS = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;

/** The single-run table (at most 100 columns). */
export function formatPinOwnerTable(config: PinOwnerConfig, rows: readonly ReadResult[]): string {
  const c = config;
  const first = rows[0];
  const from = c.from != null ? fromCapture(c.from) : null;
  const target = from === null ? "" : from.capture.machine.pageblockMt.includes(MIGRATE_CMA) ? "its CMA pageblocks" : "its Movable pageblocks (no CMA)";
  let out = from === null ? `pin-owner: ${c.memoryMb} MiB, CMA 1/${c.cmaDivisor}, ` : `pin-owner: ${from.label}; target ${target}\n  `;
  out += `${c.nrCpus} CPUs, ${c.bufferKb} KB/CPU, `;
  out += `${Math.round(first?.putsPerSec ?? 0)} puts/s; seed ${c.seed}\n`;
  out += `driver pins ${c.nrPins} pages at ${c.pinAtMs} ms; cma_alloc fails from ${c.failAtMs} ms every ${c.cmaRetryMs} ms `;
  out += `(${first?.cmaAttempts ?? 0} attempts, last ret ${first?.cmaResult ?? 0});\n`;
  out += `driver puts them at ${c.releaseAtMs} ms; a composer holds them ${c.hotReadsPerSec}/s x ${c.hotHoldMs} ms; read at ${c.readAtMs} ms\n\n`;
  const head = `${pad("policy", 28)}${lpad("buffer", 7)}${lpad("window", 8)}${lpad("oldest", 8)}${lpad("lost", 8)}${lpad("fail", 5)}`;
  out += `${head}${lpad("held", 5)}${lpad("ambig", 6)}${lpad("gone", 5)}${lpad("cands", 6)}${lpad("B/s", 7)}${lpad("file", 7)}\n`;
  for (const r of rows) {
    out += pad(r.label, 28) + lpad(fmtBytes(r.bufferBytes), 7) + lpad(fmtS(r.completeWindowMs), 8) + lpad(fmtS(r.oldestAgeMs), 8);
    out += lpad(String(r.lostEvents), 8) + lpad(`${r.failuresFound}/${r.pins}`, 5);
    out += lpad(String(r.culpritHeld), 5) + lpad(String(r.culpritAmbiguous), 6) + lpad(String(r.culpritMissing), 5) + lpad(String(r.candidates), 6);
    out += lpad(fmtBytes(r.bytesPerSec), 7) + lpad(r.fileBytes > 0 ? fmtBytes(r.fileBytes) : "-", 7) + "\n";
  }
  out += "\nwindow: read time minus the newest loss horizon of the CPUs: younger events are all there.\n";
  out += "oldest: age of the oldest event still in any CPU's ring (or the whole run, for a recorded file).\n";
  out += "fail: driver pages whose failure event is left; held/ambig/gone: driver pages whose driver put the\n";
  out += "  join labels held, ambiguous (another task's get was open), or cannot find; cands: puts offered.\n";
  out += "file: bytes trace-cmd record wrote to disk. RFC v2 as posted: every failure arms, the reason filter\n";
  out += "  is on the event only, the put hook is on from boot; trace-unref: armed by contig_range only.\n";
  return out;
}

/** The map's axes (each a parameter the page_ref outcome depends on), with their reasons. */
export const MAP_AXES = {
  // One CPU (a VM, or tasks bound) against the phone SoC's 8.
  nrCpus: [1, 8],
  // The default, 4x and 16x ("increased the buffer size a lot", seed 001).
  bufferKb: [1408, 5632, 22528],
  // Reads 1, 4 and 10 s after the driver's put at 2 s.
  readAtMs: [3000, 6000, 12000],
} as const;
/** 10 seeds: ~3 s each on one core, so the default map stays under 60 s; 10/10 has Wilson [0.72, 1]. */
export const MAP_SEEDS = 10;

/** One map cell. */
export interface MapCell {
  readonly id: string;
  readonly label: string;
  readonly nrCpus: number;
  readonly bufferKb: number;
  readonly readAtMs: number;
  readonly seeds: readonly number[];
  /** Seeds where the join names the driver (held or ambiguous). */
  readonly named: number;
  readonly namedLo: number;
  readonly namedHi: number;
  readonly windowMs: { mean: number; lo: number; hi: number };
  readonly bytesPerSec: { mean: number; lo: number; hi: number };
}

/** The specs of one map pass: the page_ref variants at every CPU count and size, the flagged ones once. */
function mapSpecs(ids: readonly string[]): PolicySpec[] {
  const out: PolicySpec[] = [];
  for (const p of policies().filter((x) => ids.includes(x.id))) {
    if (p.tracer === "flagged") {
      out.push(p);
      continue;
    }
    for (const pt of grid({ nrCpus: MAP_AXES.nrCpus, bufferKb: MAP_AXES.bufferKb })) {
      out.push({ ...p, nrCpus: pt.nrCpus as number, bufferKb: pt.bufferKb as number });
    }
  }
  return out;
}

/**
 * One seed of the map: every cell that shares the seed's workload in one pass (each setup its own
 * tracer, read at every read time). Equal to `runOne` of each cell (tracers do not change the
 * machine; reading does not consume): a test checks it. Batched so the default map fits 60 s.
 */
export function mapRun(config: PinOwnerConfig, seed: number, ids: readonly string[] = policies().map((p) => p.id)): ReadResult[] {
  return runPass({ ...config, seed }, mapSpecs(ids), MAP_AXES.readAtMs).reads.flat();
}

/** Run the map over `ss` in this thread, summarised per cell. */
export function runPinOwnerMap(config: PinOwnerConfig, ss: readonly number[], ids?: readonly string[], onSeed?: () => void): MapCell[] {
  const bySeed = ss.map((s) => {
    const r = mapRun(config, s, ids);
    onSeed?.();
    return r;
  });
  return summarizeMap(ss, bySeed);
}

/**
 * The same map with the seeds on `jobs` worker threads (default: every core). Equal to
 * runPinOwnerMap (seeds are independent passes, kept in seed order): a test checks it.
 */
export async function runPinOwnerMapJobs(config: PinOwnerConfig, ss: readonly number[], ids?: readonly string[], jobs = defaultJobs(), onSeed?: () => void): Promise<MapCell[]> {
  const bySeed = await runMapSeeds(config, ss, ids, jobs, (s) => mapRun(config, s, ids), onSeed);
  return summarizeMap(ss, bySeed);
}

/** Per cell over seeds: the named proportion with its Wilson interval, window and rate with t intervals. */
function summarizeMap(ss: readonly number[], bySeed: readonly (readonly ReadResult[])[]): MapCell[] {
  const cells: MapCell[] = [];
  const n = bySeed[0].length;
  for (let i = 0; i < n; i++) {
    const rs = bySeed.map((b) => b[i]);
    const r0 = rs[0];
    const named = rs.filter((r) => r.culpritHeld + r.culpritAmbiguous > 0).length;
    const [lo, hi] = wilson(named, rs.length);
    cells.push({
      id: r0.id,
      label: r0.label,
      nrCpus: r0.nrCpus,
      bufferKb: r0.bufferKb,
      readAtMs: r0.readAtMs,
      seeds: ss,
      named,
      namedLo: lo,
      namedHi: hi,
      windowMs: meanCi(rs.map((r) => r.completeWindowMs)),
      bytesPerSec: meanCi(rs.map((r) => r.bytesPerSec)),
    });
  }
  return cells;
}

export function formatPinOwnerMap(config: PinOwnerConfig, cells: readonly MapCell[]): string {
  const ss = cells[0]?.seeds ?? [];
  let out = `pin-owner map: seeds ${ss.join(",")}, ${config.memoryMb} MiB, driver put at ${config.releaseAtMs} ms\n`;
  out += "named: seeds where the join finds the driver's put [95 % Wilson interval];\n";
  out += "window: complete history at the read, s, mean [95 % t interval].\n\n";
  out += `${pad("policy", 29)}${lpad("CPUs", 5)}${lpad("KB/CPU", 7)}${lpad("read", 6)}  ${pad("named [interval]", 20)}${pad("window s [interval]", 22)}${lpad("MiB/s", 7)}\n`;
  for (const c of cells) {
    const flagged = c.id === "rfc-v2" || c.id === "unref-gets" || c.id === "pinner";
    out += pad(c.label, 29) + lpad(flagged ? "-" : String(c.nrCpus), 5) + lpad(flagged ? "-" : String(c.bufferKb), 7) + lpad(fmtS(c.readAtMs), 6) + "  ";
    out += pad(`${c.named}/${c.seeds.length} [${c.namedLo.toFixed(2)}, ${c.namedHi.toFixed(2)}]`, 20);
    const w = c.windowMs;
    out += pad(`${(w.mean / 1000).toFixed(2)} [${(w.lo / 1000).toFixed(2)}, ${(w.hi / 1000).toFixed(2)}]`, 22);
    out += lpad((c.bytesPerSec.mean / (1 << 20)).toFixed(2), 7) + "\n";
  }
  return out;
}

const POLICY_IDS = policies().map((p) => p.id);

export const pinOwnerExperiment: AnyExperiment = defineExperiment({
  name: "pin-owner",
  summary: "who holds pages CMA could not migrate: flagged-page tracing vs page_ref tracing (seed 001)",
  params: PIN_OWNER_PARAMS,
  policies: {
    values: POLICY_IDS,
    default: POLICY_IDS,
    doc: "tracers and where their events go",
    why: "RFC v2 as posted, the review's trace-unref with gets, page_pinner, and page_ref tracing as a developer runs it",
  },
  seeds: { first: 1, count: MAP_SEEDS, why: "10 seeds for the map (~3 s each); the single table uses the first" },
  metrics: {
    culpritNamed: { kind: "bool", doc: "the join finds the driver's put (held or ambiguous) for some driver page" },
    culpritHeld: { kind: "number", doc: "driver pages whose driver put is labelled held" },
    culpritAmbiguous: { kind: "number", doc: "driver pages whose driver put is labelled ambiguous" },
    failuresFound: { kind: "number", doc: "driver pages whose failure event is readable" },
    candidates: { kind: "number", doc: "puts of the driver's pages offered as holders" },
    completeWindowMs: { kind: "number", unit: "ms", doc: "history the user can trust as complete at the read" },
    oldestAgeMs: { kind: "number", unit: "ms", doc: "age of the oldest resident event at the read" },
    lostEvents: { kind: "number", doc: "events lost to overwrite" },
    bytesPerSec: { kind: "number", unit: "B/s", doc: "buffer bytes per simulated second" },
    fileBytes: { kind: "number", unit: "B", doc: "bytes trace-cmd record wrote" },
  },
  check: (c: PinOwnerParams) => checkFrom(PIN_OWNER_PARAMS, c, ["memoryMb"], "the capture's machine has its own size"),
  runOne(c: PinOwnerParams, seed: number, policy: string | undefined) {
    const spec = policies().find((p) => p.id === policy);
    if (spec === undefined) throw new MmError("EINVAL", `unknown pin-owner policy "${policy}"`);
    const r = runPass(configOf(c, seed), [spec]).reads[0][0];
    return {
      metrics: {
        culpritNamed: r.culpritHeld + r.culpritAmbiguous > 0,
        culpritHeld: r.culpritHeld,
        culpritAmbiguous: r.culpritAmbiguous,
        failuresFound: r.failuresFound,
        candidates: r.candidates,
        completeWindowMs: r.completeWindowMs,
        oldestAgeMs: r.oldestAgeMs,
        lostEvents: r.lostEvents,
        bytesPerSec: r.bytesPerSec,
        fileBytes: r.fileBytes,
      },
    };
  },
  async report(req: RunRequest<PinOwnerParams>, io: RunIO): Promise<void> {
    const config = configOf(req.config, req.seeds[0] ?? 1);
    if (req.config.map) {
      const progress = io.progress(req.seeds.length, "pin-owner map");
      const cells = await runPinOwnerMapJobs(config, req.seeds, req.policies, defaultJobs(), () => progress.tick());
      progress.stop();
      if (req.json) for (const c of cells) io.write(`${JSON.stringify({ experiment: "pin-owner", config, ...c })}\n`);
      else io.write(formatPinOwnerMap(config, cells));
      return;
    }
    const bar = io.progress(PASS_TICKS, "pin-owner");
    const pass = runPass(config, policies().filter((p) => req.policies.includes(p.id)), [config.readAtMs], () => bar.tick());
    bar.stop();
    const rows = pass.reads[0];
    if (req.json) {
      for (const r of rows) io.write(`${JSON.stringify({ experiment: "pin-owner", config, seed: config.seed, ...r })}\n`);
      return;
    }
    let out = formatPinOwnerTable(config, rows);
    const trace = pass.bufferText.get("unref-gets") ?? pass.bufferText.get("rfc-v2") ?? "";
    if (trace !== "") {
      const lines = trace.split("\n");
      out += `\n/sys/kernel/tracing/trace of a flagged-page row at the read (first 40 lines of ${lines.length}):\n`;
      out += lines.slice(0, 40).join("\n") + "\n";
    }
    io.write(out);
  },
});
