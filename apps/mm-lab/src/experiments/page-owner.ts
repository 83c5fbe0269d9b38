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
import { type AnyExperiment, defineExperiment, type RunIO, type RunRequest } from "../experiment.js";
import { checkFrom, FROM_PARAM, type FromCapture, fromOf } from "../from-capture.js";
import { type ConfigOf, defineParams } from "../params.js";
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
  /** Start from a capture: its memory map is the machine, its live allocations the replay. */
  readonly from?: FromCapture | null;
}

function workloadOn(sys: OwnerSystem, o: Seed000Options): { allocated: number; failed: number } {
  return o.replay != null ? replay(sys, o.replay) : runBootWorkload(sys, o.arrivals ?? 1927);
}

/** Run every configuration on a fresh machine with the same seed and workload. */
export function runSeed000(o: Seed000Options = {}): Seed000Result {
  const from = o.from ?? null;
  const ranges = from?.capture.plan.ranges;
  const memoryBytes = ranges !== undefined ? ranges[ranges.length - 1].endPfn * PAGE_SIZE : (o.memoryBytes ?? 4 * 2 ** 30);
  const seed = o.seed ?? 1;
  const rows: Seed000Row[] = [];
  if (from !== null) o = { ...o, replay: from.allocations() };
  for (const c of o.configs ?? SEED000_CONFIGS) {
    const sys = bootOwnerSystem({ ...(ranges !== undefined ? { ranges } : { memoryBytes }), seed, era: c.era, storage: c.storage, guard: c.guard });
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
    from !== null
      ? `the live allocations of ${from.label}, replayed (${new Set(o.replay!.map((r) => r.frames.join("|"))).size} distinct stacks)`
      : o.replay != null
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

/** The replay source from --replay: a path, "boot" (bootPreset), or the fixture if it exists. */
export function replayFromArgs(v: string | null): ReplayRecord[] | null {
  if (v === "boot") return null;
  if (typeof v === "string") return readReplay(v);
  return existsSync(fileURLToPath(FIXTURE_DUMP)) ? readReplay(FIXTURE_DUMP) : null;
}

export const PAGE_OWNER_PARAMS = defineParams({
  memoryMib: {
    kind: "size",
    unit: "MiB",
    min: 256,
    max: 1 << 20,
    default: 4096,
    doc: "machine RAM",
    why: 'seed 000: "4GB memory system" (92274688 bytes of page_ext with 8 frames)',
  },
  replay: {
    kind: "text",
    placeholder: "file|boot",
    default: null,
    doc: "page_owner dump to replay (default: the 6.1 fixture), or 'boot' for @mm/sim's bootPreset",
    why: "a real 6.1 capture's allocations and stacks are the closest to seed 000's boot",
  },
  arrivals: {
    kind: "int",
    min: 0,
    max: 10_000_000,
    default: 1927,
    doc: "bootPreset allocations (with --replay boot)",
    why: "the fixture's count of boot allocations (fixtures/kernel-6.1-256M)",
  },
  dump: {
    kind: "text",
    placeholder: "file",
    default: null,
    doc: "also boot a 6.1 machine with the same workload and write its debugfs page_owner file here",
    why: "off unless asked: a side file",
  },
  from: FROM_PARAM,
});

type PageOwnerConfig = ConfigOf<typeof PAGE_OWNER_PARAMS>;

/** Replays are read once per process (sweeps call runOne many times with the same file). */
const replayCache = new Map<string, ReplayRecord[] | null>();
function cachedReplay(v: string | null): ReplayRecord[] | null {
  const key = v ?? "";
  let r = replayCache.get(key);
  if (r === undefined) {
    r = replayFromArgs(v);
    replayCache.set(key, r);
  }
  return r;
}

const configById = new Map(SEED000_CONFIGS.map((c) => [c.storage === "inline8" ? "inline8" : `depot-${c.guard}`, c]));

export const pageOwner: AnyExperiment = defineExperiment({
  name: "page-owner",
  summary: "seed 000: page_owner's memory with 8 inline frames vs a stackdepot handle, both recursion guards",
  params: PAGE_OWNER_PARAMS,
  policies: {
    values: [...configById.keys()],
    default: [...configById.keys()],
    doc: "page_owner storage and recursion guard",
    why: "seed 000's before (8 inline frames, v4.6) and after (depot handle, v4.7), and the 2021 per-task guard",
  },
  seeds: { first: 1, count: 1, many: false, why: "the replayed workload takes no randomness; one seed shows the table" },
  metrics: {
    bytesPerPage: { kind: "number", unit: "B", doc: "page_ext bytes per page" },
    staticBytes: { kind: "number", unit: "B", doc: "page_ext tables (the seed's static figure)" },
    dynamicBytes: { kind: "number", unit: "B", doc: "depot pools in use" },
    staticPlusDynamic: { kind: "number", unit: "B", doc: "static + dynamic" },
    uniqueStacks: { kind: "number", doc: "distinct stacks in the depot" },
    recursions: { kind: "number", doc: "save_stack calls that found a recursion" },
    dummyPages: { kind: "number", doc: "allocated pages carrying dummy_handle" },
    failures: { kind: "number", doc: "stack saves that failed" },
  },
  check: (c: PageOwnerConfig) => checkFrom(PAGE_OWNER_PARAMS, c, ["memoryMib", "replay", "arrivals"], "the capture's memory map is the machine and its dump the replay"),
  runOne(c: PageOwnerConfig, seed: number, policy: string | undefined) {
    const cfg = configById.get(policy ?? "inline8");
    if (cfg === undefined) throw new MmError("EINVAL", `unknown page-owner policy "${policy}"`);
    const from = fromOf(c);
    const r = runSeed000({ memoryBytes: c.memoryMib * 2 ** 20, seed, replay: from === null ? cachedReplay(c.replay) : null, arrivals: c.arrivals, configs: [cfg], from });
    const row = r.rows[0];
    return {
      metrics: {
        bytesPerPage: row.bytesPerPage,
        staticBytes: row.staticBytes,
        dynamicBytes: row.dynamicBytes,
        staticPlusDynamic: row.staticPlusDynamic,
        uniqueStacks: row.uniqueStacks,
        recursions: row.recursions,
        dummyPages: row.dummyPages,
        failures: row.failures,
      },
    };
  },
  report(req: RunRequest<PageOwnerConfig>, io: RunIO): void {
    const { config: c } = req;
    const memoryBytes = c.memoryMib * 2 ** 20;
    const seed = req.seeds[0] ?? 1;
    const from = fromOf(c);
    const rp = from !== null ? [...from.allocations()] : replayFromArgs(c.replay);
    const configs = req.policies.map((p) => configById.get(p)!);
    const progress = io.progress(configs.length, "page-owner");
    const result = runSeed000({ memoryBytes, seed, replay: rp, arrivals: c.arrivals, configs, from, onRow: () => progress.tick() });
    progress.stop();
    io.write(req.json ? `${JSON.stringify(result)}\n` : formatSeed000(result));
    if (c.dump !== null) {
      const ranges = from?.capture.plan.ranges;
      const sys = bootOwnerSystem({ ...(ranges !== undefined ? { ranges } : { memoryBytes }), seed, era: "6.1" });
      workloadOn(sys, { replay: rp, arrivals: c.arrivals });
      const text = readPageOwnerFile(sys.owner);
      if (io.writeFile !== undefined) io.writeFile(c.dump, text);
      else writeFileSync(c.dump, text);
      if (!req.json) io.write(`${sys.dmesg.join("\n")}\nwrote ${n(text.length)} bytes of page_owner to ${c.dump}\n`);
    }
  },
});
