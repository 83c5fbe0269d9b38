/**
 * `mm-lab run page-owner`: seed 000's table. page_owner's memory on a 4 GiB machine after a
 * boot-like workload, with 8 inline frames per page (v4.6) and with a stackdepot handle (v4.7)
 * under each recursion guard: static page_ext bytes, dynamic depot bytes, the reduction.
 */
import { existsSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { MmError, PAGES_PER_SECTION, PAGE_SIZE } from "@mm/api";
import { readPageOwnerFile } from "@mm/page-owner";
import Table from "cli-table3";
import type { Experiment, ExperimentArgs, RunIO } from "../experiment.js";
import { FIXTURE_DUMP, readReplay, replay, type ReplayRecord } from "./page-owner-replay.js";
import { bootOwnerSystem, type GuardName, type OwnerSystem, runBootWorkload, type StorageName } from "./page-owner-wiring.js";

/** One configuration of the table. */
export interface Seed000Config {
  readonly label: string;
  readonly era: "v4.6" | "v4.7" | "6.1" | "6.10";
  readonly storage: StorageName;
  readonly guard: GuardName;
}

/** The rows seed 000 compares: before the patch, and after it under each guard. */
export const SEED000_CONFIGS: readonly Seed000Config[] = [
  { label: "8 inline frames (v4.6)", era: "v4.6", storage: "inline8", guard: "stack-scan" },
  { label: "depot handle, 2016 stack scan (v4.7)", era: "v4.7", storage: "depot", guard: "stack-scan" },
  { label: "depot handle, 2021 per-task flag", era: "v4.7", storage: "depot", guard: "task-flag" },
];

export interface Seed000Row extends Seed000Config {
  /** page_ext bytes per page (flags word + page_owner's part). */
  readonly bytesPerPage: number;
  /** page_ext tables: the `allocated N bytes of page_ext` figure. */
  readonly staticBytes: number;
  /** The kernel's line, as printed. */
  readonly pageExtLine: string;
  readonly depotPools: number;
  /** Pools in use x 16 KiB: what the depot took at run time. */
  readonly dynamicBytes: number;
  /** The preallocated spare pool the depot keeps (0 or 16 KiB). */
  readonly spareBytes: number;
  /** The depot's hash table (a static array in v4.7, not part of the seed's figure). */
  readonly hashTableBytes: number;
  readonly staticPlusDynamic: number;
  readonly uniqueStacks: number;
  /** save_stack calls that found a recursion (dummy_handle stored). */
  readonly recursions: number;
  /** Allocated pages carrying dummy_handle (the depot's pools taken after init). */
  readonly dummyPages: number;
  readonly failures: number;
  readonly earlyPages: number;
  /** Free pages the boot lost to page_ext tables (free before page_ext_init - after init). */
  readonly freeDropPages: number;
  readonly allocated: number;
  readonly failed: number;
}

export interface Seed000Result {
  readonly memoryBytes: number;
  readonly sections: number;
  readonly seed: number;
  readonly workload: string;
  readonly rows: readonly Seed000Row[];
  /** 1 - after/before of the static bytes (row 2 vs row 1). */
  readonly staticReduction: number;
  /** The same with the depot's dynamic bytes added to "after". */
  readonly totalReduction: number;
}

export interface Seed000Options {
  readonly memoryBytes?: number;
  readonly seed?: number;
  /** Records to replay (a real dump), or null for @mm/sim's bootPreset. */
  readonly replay?: readonly ReplayRecord[] | null;
  /** bootPreset arrivals when not replaying. @defaultValue 1927 */
  readonly arrivals?: number;
  readonly configs?: readonly Seed000Config[];
  readonly onRow?: () => void;
}

function workloadOn(sys: OwnerSystem, o: Seed000Options): { allocated: number; failed: number } {
  return o.replay != null ? replay(sys, o.replay) : runBootWorkload(sys, o.arrivals ?? 1927);
}

/** Run every configuration on a fresh machine with the same seed and workload. */
export function runSeed000(o: Seed000Options = {}): Seed000Result {
  const memoryBytes = o.memoryBytes ?? 4 * 2 ** 30;
  const seed = o.seed ?? 1;
  const rows: Seed000Row[] = [];
  for (const c of o.configs ?? SEED000_CONFIGS) {
    const sys = bootOwnerSystem({ memoryBytes, seed, era: c.era, storage: c.storage, guard: c.guard });
    const w = workloadOn(sys, o);
    sys.machine.checkInvariants();
    const census = sys.owner.census();
    const st = sys.depot?.stats();
    const staticBytes = sys.pageExt.totalUsage;
    const line = sys.dmesg.find((l) => l.startsWith("allocated ") && l.endsWith(" bytes of page_ext")) ?? "";
    rows.push({
      ...c,
      bytesPerPage: sys.pageExt.entrySize,
      staticBytes,
      pageExtLine: line,
      depotPools: st?.pools ?? 0,
      dynamicBytes: st?.poolBytes ?? 0,
      spareBytes: st?.spareBytes ?? 0,
      hashTableBytes: st?.tableBytes ?? 0,
      staticPlusDynamic: staticBytes + (st?.poolBytes ?? 0),
      uniqueStacks: st?.uniqueStacks ?? 0,
      recursions: sys.owner.counters.dummy,
      dummyPages: census.dummy,
      failures: sys.owner.counters.failure,
      earlyPages: sys.owner.counters.earlyPages.reduce((a, b) => a + b, 0),
      freeDropPages: sys.freeBefore - sys.freeAfter,
      allocated: w.allocated,
      failed: w.failed,
    });
    o.onRow?.();
  }
  const before = rows.find((r) => r.storage === "inline8");
  const after = rows.find((r) => r.storage === "depot");
  const staticReduction = before !== undefined && after !== undefined ? 1 - after.staticBytes / before.staticBytes : NaN;
  const totalReduction = before !== undefined && after !== undefined ? 1 - after.staticPlusDynamic / before.staticBytes : NaN;
  const workload =
    o.replay != null
      ? `replay of ${o.replay.length} allocations from a real 6.1 page_owner dump (${new Set(o.replay.map((r) => r.frames.join("|"))).size} distinct stacks)`
      : `@mm/sim bootPreset, ${o.arrivals ?? 1927} allocations`;
  return {
    memoryBytes,
    sections: Math.ceil(memoryBytes / PAGE_SIZE / PAGES_PER_SECTION),
    seed,
    workload,
    rows,
    staticReduction,
    totalReduction,
  };
}

const n = (x: number): string => x.toLocaleString("en-US");
const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;

/** The person-readable table. */
export function formatSeed000(r: Seed000Result): string {
  const t = new Table({
    head: ["configuration", "B/page", "page_ext (static)", "depot pools", "depot (dynamic)", "static+dynamic", "stacks", "recursions", "dummy pages", "failures"],
    colAligns: ["left", "right", "right", "right", "right", "right", "right", "right", "right", "right"],
    style: { head: [], border: [], compact: true },
  });
  for (const row of r.rows)
    t.push([
      row.label,
      String(row.bytesPerPage),
      n(row.staticBytes),
      row.storage === "depot" ? String(row.depotPools) : "-",
      n(row.dynamicBytes),
      n(row.staticPlusDynamic),
      row.storage === "depot" ? String(row.uniqueStacks) : "-",
      String(row.recursions),
      String(row.dummyPages),
      String(row.failures),
    ]);
  const first = r.rows[0];
  return (
    `page_owner memory, ${r.memoryBytes / 2 ** 20} MiB machine (${r.sections} sections), seed ${r.seed}; workload: ${r.workload}\n` +
    `${t.toString()}\n` +
    `static reduction ${pct(r.staticReduction)}, static+dynamic reduction ${pct(r.totalReduction)} ` +
    `(seed 000: 92274688 -> 25165824 bytes, "72% reduction in static allocation size")\n` +
    (first !== undefined ? `dmesg: ${r.rows.map((x) => x.pageExtLine).join(" / ")}\n` : "") +
    (r.rows.some((x) => x.hashTableBytes > 0)
      ? `not counted above (nor in the seed): the depot's hash table, ${n(r.rows.find((x) => x.hashTableBytes > 0)!.hashTableBytes)} bytes, and a spare pool of 16 KiB\n`
      : "")
  );
}

function int(args: ExperimentArgs, key: string, fallback: number): number {
  const v = args[key];
  if (v === undefined || typeof v === "boolean") return fallback;
  if (!/^\d+$/.test(v.trim())) throw new MmError("EINVAL", `--${key} expects a non-negative integer, got "${v}"`);
  return Number(v);
}

/** The replay source from --replay: a path, "boot" (bootPreset), or the fixture if it exists. */
export function replayFromArgs(args: ExperimentArgs): ReplayRecord[] | null {
  const v = args.replay;
  if (v === "boot") return null;
  if (typeof v === "string") return readReplay(v);
  return existsSync(fileURLToPath(FIXTURE_DUMP)) ? readReplay(FIXTURE_DUMP) : null;
}

export const pageOwner: Experiment = {
  name: "page-owner",
  summary: "seed 000: page_owner's memory with 8 inline frames vs a stackdepot handle, both recursion guards",
  options: [
    { flags: "--memory-mib <n>", description: "machine RAM in MiB", defaultValue: "4096" },
    { flags: "--seed <n>", description: "simulation seed", defaultValue: "1" },
    { flags: "--replay <file|boot>", description: "page_owner dump to replay (default: the 6.1 fixture), or 'boot' for @mm/sim's bootPreset" },
    { flags: "--arrivals <n>", description: "bootPreset allocations (with --replay boot)", defaultValue: "1927" },
    { flags: "--dump <file>", description: "also boot a 6.1 machine with the same workload and write its debugfs page_owner file here" },
  ],
  run(args: ExperimentArgs, io: RunIO): void {
    const memoryBytes = int(args, "memoryMib", 4096) * 2 ** 20;
    if (memoryBytes < 256 * 2 ** 20) throw new MmError("EINVAL", "--memory-mib must be at least 256");
    const seed = int(args, "seed", 1);
    const rp = replayFromArgs(args);
    const progress = io.progress(SEED000_CONFIGS.length, "page-owner");
    const result = runSeed000({ memoryBytes, seed, replay: rp, arrivals: int(args, "arrivals", 1927), onRow: () => progress.tick() });
    progress.stop();
    io.write(args.json === true ? `${JSON.stringify(result)}\n` : formatSeed000(result));
    if (typeof args.dump === "string") {
      const sys = bootOwnerSystem({ memoryBytes, seed, era: "6.1" });
      workloadOn(sys, { replay: rp, arrivals: int(args, "arrivals", 1927) });
      const text = readPageOwnerFile(sys.owner);
      if (io.writeFile !== undefined) io.writeFile(args.dump, text);
      else writeFileSync(args.dump, text);
      if (args.json !== true) io.write(`${sys.dmesg.join("\n")}\nwrote ${n(text.length)} bytes of page_owner to ${args.dump}\n`);
    }
  },
};
