/**
 * `mm-lab run pin-owner`: who still holds the pages a CMA allocation could not migrate? The
 * flagged-page tracer (RFC v2 as posted, the review's trace-unref with gets, Android's page_pinner)
 * against page_ref tracing of the CMA area as a developer would run it (per-CPU rings, the failure
 * in its own instance, trace-cmd record, or David's re-filter on the failed pfn). Default: one run,
 * one read; `--map`: the map over CPUs x buffer size x read time, seeds 1..n, with intervals.
 */
import { MmError } from "@mm/api";
import type { Experiment, ExperimentArgs, RunIO } from "../experiment.js";
import { grid, meanCi, seeds, wilson } from "./pin-owner/local-sweep.js";
import { DEFAULT_CONFIG, type PinOwnerConfig, type PolicySpec, policies, type ReadResult, runPass } from "./pin-owner/run.js";

function num(args: ExperimentArgs, key: string, def: number, min = 0): number {
  const v = args[key];
  if (v === undefined || typeof v === "boolean") return def;
  const n = Number(v);
  const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  if (!Number.isFinite(n) || n < min || (min > 0 && n <= 0)) throw new MmError("EINVAL", `${flag} must be a number >= ${min}, got ${v}`);
  return n;
}
function int(args: ExperimentArgs, key: string, def: number, min: number): number {
  const n = num(args, key, def, min);
  if (!Number.isInteger(n)) throw new MmError("EINVAL", `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be an integer, got ${n}`);
  return n;
}

/** The experiment's configuration from CLI arguments (defaults: DEFAULT_CONFIG). */
export function pinOwnerConfig(args: ExperimentArgs): PinOwnerConfig {
  const d = DEFAULT_CONFIG;
  return {
    ...d,
    seed: int(args, "seed", d.seed, 0),
    memoryMb: int(args, "memoryMb", d.memoryMb, 16),
    opsPerSec: num(args, "opsPerSec", d.opsPerSec, 1),
    nrCpus: int(args, "nrCpus", d.nrCpus, 1),
    bufferKb: int(args, "bufferKb", d.bufferKb, 1),
    nrPins: int(args, "nrPins", d.nrPins, 1),
    releaseAtMs: num(args, "releaseAtMs", d.releaseAtMs, 1),
    readAtMs: num(args, "readAtMs", d.readAtMs, 1),
    hotReadsPerSec: num(args, "hotReadsPerSec", d.hotReadsPerSec, 0),
    timing: args.timing === true,
  };
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
  let out = `pin-owner: ${c.memoryMb} MiB, CMA 1/${c.cmaDivisor}, ${c.nrCpus} CPUs, ${c.bufferKb} KB/CPU, `;
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
function mapSpecs(): PolicySpec[] {
  const out: PolicySpec[] = [];
  for (const p of policies()) {
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

/** The per-run function of the map: one seed, every spec, every read time. */
export function mapRun(config: PinOwnerConfig, seed: number): ReadResult[] {
  return runPass({ ...config, seed }, mapSpecs(), MAP_AXES.readAtMs).reads.flat();
}

/** Run the map: seeds 1..n of `mapRun`, summarised per cell. */
export function runPinOwnerMap(config: PinOwnerConfig, nSeeds: number, onSeed?: () => void): MapCell[] {
  const ss = seeds(nSeeds);
  const bySeed = ss.map((s) => {
    const r = mapRun(config, s);
    onSeed?.();
    return r;
  });
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
  let out = `pin-owner map: seeds 1..${cells[0]?.seeds.length ?? 0}, ${config.memoryMb} MiB, driver put at ${config.releaseAtMs} ms; `;
  out += "named = seeds where the join finds the driver's put\n";
  out += "(95 % Wilson interval); window = complete history at the read, mean [95 % t interval].\n\n";
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

export const pinOwnerExperiment: Experiment = {
  name: "pin-owner",
  summary: "who holds pages CMA could not migrate: flagged-page tracing vs page_ref tracing (seed 001)",
  options: [
    { flags: "--seed <n>", description: "PRNG seed", defaultValue: String(DEFAULT_CONFIG.seed) },
    { flags: "--memory-mb <n>", description: "RAM in MiB (the CMA area is 1/8 of it)", defaultValue: String(DEFAULT_CONFIG.memoryMb) },
    { flags: "--ops-per-sec <n>", description: "workload operations per simulated second", defaultValue: String(DEFAULT_CONFIG.opsPerSec) },
    { flags: "--nr-cpus <n>", description: "CPUs (one ftrace ring each)", defaultValue: String(DEFAULT_CONFIG.nrCpus) },
    { flags: "--buffer-kb <n>", description: "buffer_size_kb per CPU", defaultValue: String(DEFAULT_CONFIG.bufferKb) },
    { flags: "--nr-pins <n>", description: "pages of the driver's buffer", defaultValue: String(DEFAULT_CONFIG.nrPins) },
    { flags: "--release-at-ms <n>", description: "when the driver drops its references", defaultValue: String(DEFAULT_CONFIG.releaseAtMs) },
    { flags: "--read-at-ms <n>", description: "when the user reads the buffers", defaultValue: String(DEFAULT_CONFIG.readAtMs) },
    { flags: "--hot-reads-per-sec <n>", description: "reads of the driver's pages by another task", defaultValue: String(DEFAULT_CONFIG.hotReadsPerSec) },
    { flags: "--map", description: "the map over CPUs x buffer x read time, seeds 1..--seeds" },
    { flags: "--seeds <n>", description: "seeds of the map", defaultValue: String(MAP_SEEDS) },
  ],
  run(args: ExperimentArgs, io: RunIO): void {
    const config = pinOwnerConfig(args);
    const json = args.json === true;
    if (args.map === true) {
      const n = int(args, "seeds", MAP_SEEDS, 1);
      const progress = io.progress(n, "pin-owner map");
      const cells = runPinOwnerMap(config, n, () => progress.tick());
      progress.stop();
      if (json) for (const c of cells) io.write(`${JSON.stringify({ experiment: "pin-owner", config, ...c })}\n`);
      else io.write(formatPinOwnerMap(config, cells));
      return;
    }
    const pass = runPass(config, policies());
    const rows = pass.reads[0];
    if (json) for (const r of rows) io.write(`${JSON.stringify({ experiment: "pin-owner", config, seed: config.seed, ...r })}\n`);
    else {
      let out = formatPinOwnerTable(config, rows);
      const trace = pass.bufferText.get("unref-gets") ?? "";
      const lines = trace.split("\n");
      out += `\n/sys/kernel/tracing/trace of trace-unref + gets at the read (first 40 lines of ${lines.length}):\n`;
      out += lines.slice(0, 40).join("\n") + "\n";
      io.write(out);
    }
  },
};
