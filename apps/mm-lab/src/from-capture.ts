/**
 * `--from <dir>`: any experiment starts from a real machine's imported state instead of its own
 * synthetic boot. One parameter, declared here once (`FROM_PARAM`, spread into each experiment's
 * space), resolved once per process into a {@link FromCapture}: the @mm/capture import of the
 * directory (zones, present/managed/reserved pages, watermarks and lowmem_reserve equal to the
 * capture's zoneinfo, every dump record placed at its pfn, pageblock types from `Block N type X`,
 * stacks in a @mm/stackdepot StackStore). Each experiment has a small seam that asks it for what
 * it needs: a fresh machine in the imported state wired to its own simulation, the memory map,
 * the dump's live allocations as a replay.
 *
 * Imports are deterministic (same files -> the same machine, bit for bit) and cached by the
 * directory's absolute path, so `mm-lab sweep <exp> --from <dir>` imports once per worker thread
 * (and once in the main thread, where `check` validates it), never once per run.
 */
import { createHash } from "node:crypto";
import { resolve } from "node:path";
import { MmError } from "@mm/api";
import type { BuddyMachine } from "@mm/buddy";
import { importCapture, readCaptureDir, type ImportedCapture, type MachineWiring } from "@mm/capture";
import type { ReplayRecord } from "./experiments/page-owner-replay.js";
import { flagOf, type ParamSpace, type TextParam } from "./params.js";

/** The `from` parameter: every experiment declares it as `from: FROM_PARAM`. */
export const FROM_PARAM: TextParam = {
  kind: "text",
  placeholder: "dir",
  default: null,
  axis: false,
  doc: "start from a real machine imported from this capture directory (page_owner dump + optional /proc files + dmesg, as `mm-lab import`)",
  why: "none: the experiment's own synthetic machine; a capture is a user's real one",
};

/** One allocation of the dump as a replay: page-owner's ReplayRecord. */
export type CapturedAllocation = ReplayRecord;

/** An imported capture, as the experiments use it. */
export interface FromCapture {
  /** The directory as given. */
  readonly dir: string;
  readonly capture: ImportedCapture;
  /** sha256 of the capture's bytes (dump + optional files), first 16 hex digits: which state a result started from. */
  readonly digest: string;
  /** One line for a report's header: directory, size, records, digest. */
  readonly label: string;
  /** A fresh machine in the imported state, wired to the caller's simulation. */
  machine(wiring?: MachineWiring): BuddyMachine;
  /**
   * The dump's live allocations in timestamp order (file order among equal ts), without the
   * records page_owner itself makes (early, dummy, failure stacks): the workload that built it.
   */
  allocations(): readonly CapturedAllocation[];
}

const cache = new Map<string, FromCapture>();
let imports = 0;

/** Imports done by this process (tests check a sweep does one per worker, not one per run). */
export function fromCaptureImports(): number {
  return imports;
}

/** Stacks page_owner registers itself (mm/page_owner.c register_*_stack): outcomes, not workload. */
const OWN_STACKS = new Set(["register_early_stack", "register_dummy_stack", "register_failure_stack"]);

function build(dir: string): FromCapture {
  const { input } = readCaptureDir(dir);
  const capture = importCapture(input);
  imports++;
  const h = createHash("sha256");
  h.update(input.pageOwner);
  for (const k of ["iomem", "zoneinfo", "buddyinfo", "pagetypeinfo", "meminfo", "dmesg"] as const) h.update(`\0${k}\0${input[k] ?? ""}`);
  const digest = h.digest("hex").slice(0, 16);
  const m = capture.machine;
  const mib = Math.round((m.totalramPages() * 4) / 1024);
  const label = `${dir}: ${mib} MiB of totalram, ${capture.placement.placedRecords} records (${capture.dump.format} format), sha256 ${digest}`;
  let allocs: CapturedAllocation[] | null = null;
  return {
    dir,
    capture,
    digest,
    label,
    machine: (wiring) => capture.rebuild(wiring),
    allocations() {
      if (allocs !== null) return allocs;
      const d = capture.dump;
      const out: { r: CapturedAllocation; i: number }[] = [];
      for (let i = 0; i < d.count; i++) {
        if (capture.index.accepted[i] === 0) continue;
        const frames = d.stacks.get(d.handle[i]) ?? [];
        if (frames.length === 0 || OWN_STACKS.has(frames[0].split("+")[0])) continue;
        const r = { order: d.order[i], gfp: d.gfp[i], pid: d.pid[i], tgid: d.tgid[i], comm: d.comms[d.comm[i]], tsNs: Number(d.ts[i]), frames };
        out.push({ r, i });
      }
      out.sort((a, b) => a.r.tsNs - b.r.tsNs || a.i - b.i);
      allocs = out.map((x) => x.r);
      return allocs;
    },
  };
}

/**
 * The imported state of a capture directory, imported on first use in this process.
 * @throws MmError EINVAL (no such directory, no dump), PARSE_ERROR (bad input, with file and line)
 */
export function fromCapture(dir: string): FromCapture {
  const key = resolve(dir);
  let s = cache.get(key);
  if (s === undefined) {
    s = build(dir);
    cache.set(key, s);
  }
  return s;
}

/** The imported state when `from` is set, else null. Experiments' seams start with this. */
export function fromOf(config: { readonly from?: unknown }): FromCapture | null {
  const v = config.from;
  return typeof v === "string" && v !== "" ? fromCapture(v) : null;
}

/**
 * An experiment's `check` with --from: import (and cache) the capture now, so a bad directory or
 * dump is one EINVAL / PARSE_ERROR line before anything runs, in `run` and in `sweep` alike; and
 * refuse a non-default value of a parameter that sizes or shapes the synthetic machine (it does
 * not apply to an imported one) instead of silently ignoring it.
 * @throws MmError EINVAL naming the flag
 */
export function checkFrom(space: ParamSpace, config: Readonly<Record<string, unknown>>, names: readonly string[], why: string): void {
  if (fromOf(config) === null) return;
  for (const n of names) {
    const s = space[n];
    if (s === undefined) throw new Error(`checkFrom: no parameter ${n}`);
    if (JSON.stringify(config[n]) !== JSON.stringify(s.default)) throw new MmError("EINVAL", `${flagOf(n, s)} does not apply with --from: ${why}`);
  }
}
