/**
 * `mm-lab run pin-owner`: who still holds the page a CMA allocation could not migrate? Compares
 * the flagged-page tracer (trace-unref, RFC v2 and the review's get tracing; ftrace ring or Android
 * page_pinner ring) with tracing every unref and joining afterwards (seed 001).
 */
import Table from "cli-table3";
import type { Experiment, ExperimentArgs, RunIO } from "../experiment.js";
import { DEFAULT_CONFIG, type PinOwnerConfig, type PinOwnerResult, type PolicyResult, policies, runPinOwner } from "./pin-owner/run.js";

function num(args: ExperimentArgs, key: string, def: number): number {
  const v = args[key];
  if (v === undefined || typeof v === "boolean") return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be a positive number, got ${v}`);
  return n;
}

/** The experiment's configuration from CLI arguments (defaults: DEFAULT_CONFIG). */
export function pinOwnerConfig(args: ExperimentArgs): PinOwnerConfig {
  const d = DEFAULT_CONFIG;
  return {
    ...d,
    seed: num(args, "seed", d.seed),
    memoryMb: num(args, "memoryMb", d.memoryMb),
    opsPerSec: num(args, "opsPerSec", d.opsPerSec),
    releaseAtMs: num(args, "releaseAtMs", d.releaseAtMs),
    lookAtMs: num(args, "lookAtMs", d.lookAtMs),
    bigBufferKb: num(args, "bigBufferKb", d.bigBufferKb),
    timing: args.timing === true,
  };
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

export const pinOwnerExperiment: Experiment = {
  name: "pin-owner",
  summary: "who holds a page CMA could not migrate: flagged-page tracing vs tracing every unref (seed 001)",
  options: [
    { flags: "--seed <n>", description: "PRNG seed", defaultValue: String(DEFAULT_CONFIG.seed) },
    { flags: "--memory-mb <n>", description: "RAM in MiB (the CMA area is 1/8 of it)", defaultValue: String(DEFAULT_CONFIG.memoryMb) },
    { flags: "--ops-per-sec <n>", description: "workload operations per simulated second", defaultValue: String(DEFAULT_CONFIG.opsPerSec) },
    { flags: "--release-at-ms <n>", description: "when the driver drops its reference", defaultValue: String(DEFAULT_CONFIG.releaseAtMs) },
    { flags: "--look-at-ms <n>", description: "when the user reads the buffer", defaultValue: String(DEFAULT_CONFIG.lookAtMs) },
    { flags: "--big-buffer-kb <n>", description: "buffer_size_kb of the big-buffer row", defaultValue: String(DEFAULT_CONFIG.bigBufferKb) },
    { flags: "--timing", description: "also measure wall-clock ns per put against an untraced run (not deterministic)" },
  ],
  run(args: ExperimentArgs, io: RunIO): void {
    const config = pinOwnerConfig(args);
    const json = args.json === true;
    const progress = io.progress(config.timing ? 1 + (policies(config).length + 1) * 2 : 1, "pin-owner");
    const res = runPinOwner(config, () => progress.tick());
    progress.stop();
    if (json) for (const r of res.rows) io.write(`${jsonRow(r)}\n`);
    else io.write(formatPinOwnerTable(res));
  },
};
