/**
 * `mm-lab run pin-owner`: who still holds the page a CMA allocation could not migrate? Compares
 * the flagged-page tracer (trace-unref, RFC v2 and the review's get tracing; ftrace ring or Android
 * page_pinner ring) with tracing every unref and joining afterwards (seed 001).
 */
import Table from "cli-table3";
import { MmError } from "@mm/api";
import { type AnyExperiment, defineExperiment, type RunIO, type RunRequest } from "../experiment.js";
import { type ConfigOf, defineParams, type RawArgs } from "../params.js";
import { resolveRequest } from "../request.js";
import { DEFAULT_CONFIG, type PinOwnerConfig, type PinOwnerResult, type PolicyResult, policies, runPass, runPinOwner } from "./pin-owner/run.js";

const d = DEFAULT_CONFIG;

export const PIN_OWNER_PARAMS = defineParams({
  memoryMb: {
    kind: "size",
    unit: "MiB",
    min: 32,
    max: 65536,
    default: d.memoryMb,
    doc: "RAM (the CMA area is 1/8 of it)",
    why: "a 1 GiB phone-class machine with a CMA area, as in seed 001's Android setting",
  },
  opsPerSec: {
    kind: "float",
    min: 0,
    minExclusive: true,
    max: 1e8,
    default: d.opsPerSec,
    doc: "workload operations per simulated second",
    why: "workload.ts: 100k page-cache/anon ops per second keeps the ftrace ring wrapping within seconds",
  },
  releaseAtMs: {
    kind: "duration",
    unit: "ms",
    min: 1,
    max: 3_600_000,
    default: d.releaseAtMs,
    doc: "when the driver drops its reference",
    why: "1.5 s after cma_alloc fails at 500 ms: the holder lets go after the failure, as in seed 001",
  },
  lookAtMs: {
    kind: "duration",
    unit: "ms",
    min: 1,
    max: 3_600_000,
    default: d.lookAtMs,
    doc: "when the user reads the buffer",
    why: "15 s: a person noticing the failure and reading the trace, not a script",
  },
  bigBufferKb: {
    kind: "size",
    unit: "KiB",
    min: 4,
    max: 1 << 24,
    default: d.bigBufferKb,
    doc: "buffer_size_kb of the big-buffer row",
    why: 'seed 001: "increased the buffer size a lot"; 16x ftrace\'s default buffer_size_kb',
  },
  timing: {
    kind: "bool",
    default: false,
    axis: false,
    doc: "also measure wall-clock ns per put against an untraced run (not deterministic)",
    why: "off: wall time is not a function of the seed",
  },
});

type PinOwnerParams = ConfigOf<typeof PIN_OWNER_PARAMS>;

function configOf(c: PinOwnerParams, seed: number): PinOwnerConfig {
  return { ...d, seed, memoryMb: c.memoryMb, opsPerSec: c.opsPerSec, releaseAtMs: c.releaseAtMs, lookAtMs: c.lookAtMs, bigBufferKb: c.bigBufferKb, timing: c.timing };
}

/** The experiment's configuration from CLI arguments (defaults: DEFAULT_CONFIG). */
export function pinOwnerConfig(args: RawArgs): PinOwnerConfig {
  const req = resolveRequest(pinOwnerExperiment, args) as RunRequest<PinOwnerParams>;
  return configOf(req.config, req.seeds[0] ?? d.seed);
}

const fmtInt = (n: number): string => Math.round(n).toLocaleString("en-US");
function fmtBytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${Math.round(n)} B`;
}
function fmtSeconds(s: number): string {
  if (!Number.isFinite(s)) return "all";
  if (s >= 3600) return `${(s / 3600).toFixed(1)} h`;
  if (s >= 1) return `${s.toFixed(1)} s`;
  return `${(s * 1000).toFixed(0)} ms`;
}
const yesNo = (b: boolean): string => (b ? "yes" : "NO");

/** The comparison table as text. */
export function formatPinOwnerTable(res: PinOwnerResult): string {
  const timing = res.config.timing;
  const head = [
    "policy",
    "buffer",
    "events/s",
    "bytes/s",
    "events\nlost",
    "history\nheld",
    "failure\nin buffer",
    "culprit's\nstack in\nbuffer",
    "candidate\nputs",
    "bytes after\nculprit's put",
    "stacks\nper put",
    "bytes\nper put",
    "page_ext\n(alone / +owner)",
  ];
  if (timing) head.push("extra\nns/put");
  const t = new Table({ head, style: { head: [], border: [] } });
  for (const r of res.rows) {
    const row = [
      r.label,
      fmtBytes(r.bufferBytes),
      r.eventsPerSec < 10 ? r.eventsPerSec.toFixed(2) : fmtInt(r.eventsPerSec),
      fmtBytes(r.bytesPerSec),
      fmtInt(r.lost),
      fmtSeconds(r.historySeconds),
      yesNo(r.failureInBuffer),
      yesNo(r.culpritInBuffer),
      r.failureInBuffer ? fmtInt(r.candidates) : "-",
      fmtBytes(r.bytesAfterCulprit),
      r.stacksPerPut.toFixed(4),
      r.bytesPerPut.toFixed(2),
      `${fmtBytes(r.pageExtBytes)} / ${fmtBytes(r.pageExtExtraWithOwner)}`,
    ];
    if (timing) row.push(r.extraNsPerPut === null ? "-" : r.extraNsPerPut.toFixed(0));
    t.push(row);
  }
  const c = res.config;
  const first = res.rows[0];
  let out = `pin-owner: ${c.memoryMb} MiB RAM, CMA area 1/${c.cmaDivisor} (pfn 0x${res.cmaStart.toString(16)}-0x${res.cmaEnd.toString(16)}), `;
  out += `${fmtInt(c.opsPerSec)} workload ops/s, ${fmtInt(first === undefined ? 0 : first.puts / first.seconds)} puts/s on one CPU; seed ${c.seed}\n`;
  out += `driver pins pfn 0x${res.pinned.toString(16)} at ${c.pinAtMs} ms; cma_alloc of ${c.cmaAllocPages} pages fails at ${c.failAtMs} ms (ret ${first?.cmaResult ?? 0}); `;
  out += `driver puts it at ${c.releaseAtMs} ms; the user reads the buffer at ${c.lookAtMs} ms\n`;
  out += `${t.toString()}\n`;
  out += "candidate puts: puts of the failed page the user must inspect (with gets traced, temporary references are excluded);\n";
  out += "  '-' when the failure event is gone, so the join has no pfn to start from.\n";
  out += "bytes after culprit's put: what the buffer took in between the driver's put and the read; a smaller buffer has overwritten it.\n";
  if (timing) out += "extra ns/put: wall time of the pass with that tracer alone minus an untraced pass, per put (fastest of 2; noisy on a shared machine).\n";
  out += "history held: seconds of events the buffer holds at this rate (size / bytes per second); the join needs the failure\n";
  out += "  and the culprit's put both in the buffer, so the user must read it within this time of the failure.\n";
  if (res.traceText !== "") out += `\n/sys/kernel/tracing/trace of trace-unref (RFC v2) when the user looks:\n${res.traceText}`;
  if (res.pinnerText !== "") {
    // Newest first; the first records are enough to see the format and the holder.
    const records = res.pinnerText.split("\n\n").filter((r) => r !== "");
    const shown = records.slice(0, 3).map((r) => `${r}\n\n`).join("");
    out += `\n/sys/kernel/debug/page_pinner/buffer (Android) when the user looks, newest first:\n${shown}`;
    if (records.length > 3) out += `(${records.length - 3} more records)\n`;
  }
  if (res.holderText !== "") out += `\nfindHolders() over trace-unref + gets (the review's new-reference tracing):\n${res.holderText}`;
  return out;
}

function jsonRow(r: PolicyResult): string {
  return JSON.stringify(r);
}

const POLICY_IDS = policies(DEFAULT_CONFIG).map((p) => p.id);

export const pinOwnerExperiment: AnyExperiment = defineExperiment({
  name: "pin-owner",
  summary: "who holds a page CMA could not migrate: flagged-page tracing vs tracing every unref (seed 001)",
  params: PIN_OWNER_PARAMS,
  policies: {
    values: POLICY_IDS,
    default: POLICY_IDS,
    doc: "tracers and where their events go",
    why: "the RFC's flagged-page tracer (both sinks, with and without gets) against tracing every unref",
  },
  seeds: { first: d.seed, count: 1, many: false, why: "one workload shows the table; sweeps take more" },
  metrics: {
    failureInBuffer: { kind: "bool", doc: "the failure event is still in the buffer when the user looks" },
    culpritInBuffer: { kind: "bool", doc: "the culprit's put, with its stack, is still in the buffer" },
    candidates: { kind: "number", doc: "puts the user must inspect" },
    events: { kind: "number", doc: "events recorded" },
    eventsPerSec: { kind: "number", doc: "events per simulated second" },
    bytesPerSec: { kind: "number", unit: "B/s", doc: "buffer bytes per simulated second" },
    lost: { kind: "number", doc: "events lost to overwrite" },
    historySeconds: { kind: "number", unit: "s", doc: "seconds of events the buffer holds" },
    bytesAfterCulprit: { kind: "number", unit: "B", doc: "bytes written after the culprit's put" },
    stacksPerPut: { kind: "number", doc: "stacks captured per put" },
    depotBytes: { kind: "number", unit: "B", doc: "stack depot bytes" },
  },
  runOne(c: PinOwnerParams, seed: number, policy: string | undefined) {
    const config = { ...configOf(c, seed), timing: false };
    const spec = policies(config).find((p) => p.id === policy);
    if (spec === undefined) throw new MmError("EINVAL", `unknown pin-owner policy "${policy}"`);
    const r = runPass(config, [spec]).results[0];
    return {
      metrics: {
        failureInBuffer: r.failureInBuffer,
        culpritInBuffer: r.culpritInBuffer,
        candidates: r.failureInBuffer ? r.candidates : null,
        events: r.events,
        eventsPerSec: r.eventsPerSec,
        bytesPerSec: r.bytesPerSec,
        lost: r.lost,
        historySeconds: Number.isFinite(r.historySeconds) ? r.historySeconds : null,
        bytesAfterCulprit: r.bytesAfterCulprit,
        stacksPerPut: r.stacksPerPut,
        depotBytes: r.depotBytes,
      },
    };
  },
  report(req: RunRequest<PinOwnerParams>, io: RunIO): void {
    const config = configOf(req.config, req.seeds[0] ?? d.seed);
    const progress = io.progress(config.timing ? 1 + (policies(config).length + 1) * 2 : 1, "pin-owner");
    const all = runPinOwner(config, () => progress.tick());
    progress.stop();
    // every tracer runs side by side in one pass; --policies picks the rows shown
    const res = { ...all, rows: all.rows.filter((r) => req.policies.includes(r.id)) };
    if (req.json) for (const r of res.rows) io.write(`${jsonRow(r)}\n`);
    else io.write(formatPinOwnerTable(res));
  },
});
