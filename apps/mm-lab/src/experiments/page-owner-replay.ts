/**
 * A boot-like workload taken from a real machine: the allocations of a 6.1 debugfs page_owner dump
 * (order, gfp, pid, comm, ts, stack), replayed in timestamp order on a simulated machine with the
 * same stacks pushed on the same tasks. The records' own early/dummy/failure pages are skipped:
 * the simulated page_owner makes those itself.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { MmError } from "@mm/api";
import type { SimTask } from "@mm/sim";
import type { OwnerSystem } from "./page-owner-wiring.js";

/** The 6.1 capture shipped with the project (outside the repo, next to it). */
export const FIXTURE_DUMP = new URL("../../../../fixtures/kernel-6.1-256M/page_owner.txt.gz", import.meta.url);

export interface ReplayRecord {
  readonly order: number;
  readonly gfp: number;
  readonly pid: number;
  readonly tgid: number;
  readonly comm: string;
  readonly tsNs: number;
  /** Innermost first, as printed. */
  readonly frames: readonly string[];
}

const HEADER = /^Page allocated via order (\d+), mask (0x[0-9a-f]+)\([^)]*\), pid (\d+), tgid (\d+) \((.*)\), ts (\d+) ns/;
/** Stacks page_owner itself registers; records carrying them are outcomes, not workload. */
const OWN_STACKS = new Set(["register_early_stack", "register_dummy_stack", "register_failure_stack"]);

/**
 * Read the allocations of a debugfs page_owner dump (plain or gzip), sorted by ts.
 * @throws MmError PARSE_ERROR on a record whose header does not parse.
 */
export function readReplay(path: string | URL): ReplayRecord[] {
  let buf = readFileSync(path);
  if (buf[0] === 0x1f && buf[1] === 0x8b) buf = gunzipSync(buf);
  const text = buf.toString("utf8");
  const out: ReplayRecord[] = [];
  let line = 1;
  for (const rec of text.split("\n\n")) {
    const lines = rec.split("\n").filter((l) => l !== "");
    if (lines.length === 0) continue;
    const m = HEADER.exec(lines[0]);
    if (m === null) throw new MmError("PARSE_ERROR", `line ${line}: not a page_owner record header`, { line });
    line += rec.split("\n").length + 1;
    const frames = lines.filter((l) => l.startsWith(" ")).map((l) => l.slice(1));
    if (frames.length === 0 || OWN_STACKS.has(frames[0].split("+")[0])) continue;
    out.push({
      order: Number(m[1]),
      gfp: Number.parseInt(m[2], 16),
      pid: Number(m[3]),
      tgid: Number(m[4]),
      comm: m[5],
      tsNs: Number(m[6]),
      frames,
    });
  }
  // Stable sort by time: allocation order of the original machine.
  return out.map((r, i) => [r, i] as const).sort((a, b) => a[0].tsNs - b[0].tsNs || a[1] - b[1]).map(([r]) => r);
}

/**
 * Replay the records on the system: each allocation at its ts (never before the simulated clock),
 * as a task with the record's pid, tgid and comm, with the record's stack pushed.
 * @returns allocations that succeeded and failed.
 */
export function replay(sys: OwnerSystem, records: readonly ReplayRecord[]): { allocated: number; failed: number } {
  const { sim, machine } = sys;
  const tasks = new Map<number, SimTask>([[sys.init.pid, sys.init]]);
  const task = (r: ReplayRecord): SimTask => {
    let t = tasks.get(r.pid);
    if (t === undefined) {
      let leader: SimTask | undefined;
      if (r.tgid !== r.pid) {
        leader = tasks.get(r.tgid);
        if (leader === undefined) {
          leader = sim.spawn({ comm: r.comm, pid: r.tgid });
          tasks.set(r.tgid, leader);
        }
      }
      const existing = sim.tasks.byPid(r.pid);
      t = existing ?? sim.spawn({ comm: r.comm, pid: r.pid, ...(leader !== undefined ? { threadOf: leader } : {}) });
      tasks.set(r.pid, t);
    }
    if (t.comm !== r.comm) sim.tasks.setComm(t, r.comm);
    return t;
  };
  let allocated = 0;
  let failed = 0;
  for (const r of records) {
    if (r.tsNs > sim.now()) sim.advance(r.tsNs - sim.now());
    const t = task(r);
    const ids = sim.symbols.trace(r.frames);
    const pfn = sim.runAs(t, () => sim.withFrames(t, ids, () => machine.allocPages(r.order, r.gfp)));
    if (pfn >= 0) allocated++;
    else failed++;
  }
  return { allocated, failed };
}
