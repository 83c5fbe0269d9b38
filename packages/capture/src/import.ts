/**
 * `importCapture`: a real machine's capture -> a booted @mm/buddy machine holding the dump's
 * allocations, and the report of how it matches the capture. Stages: parse the files, read the
 * dump, index the records (overlaps, map), plan the boot (memblock.ts), boot under the watermark
 * history that reproduces zoneinfo (boot.ts), place the records (place.ts), compare (compare.ts).
 */
import { MIGRATE_CMA, MIGRATE_ISOLATE, MmError } from "@mm/api";
import { createMachine, parseBuddyinfo, parsePagetypeinfo, type BuddyinfoRow, type BuddyMachine, type MachineOptions, type Pagetypeinfo } from "@mm/buddy";
import { bootCapture, inferLateFrees, machineOptions, thpEvidence, type BootChoice } from "./boot.js";
import { compareCapture, type MatchReport } from "./compare.js";
import { parseDmesg, type Dmesg } from "./dmesg.js";
import { readDumpBytes, readDumpText, type DumpRecords, type SkipReason } from "./dump.js";
import { CAPTURE_FILES, type CaptureFileName, type CaptureInput } from "./files.js";
import { parseIomem, type Iomem } from "./iomem.js";
import { memoryMap, planBoot, type BootPlan } from "./memblock.js";
import { parseMeminfo } from "./meminfo.js";
import { mixedBlockCounts } from "./mixed.js";
import { indexRecords, placeRecords, type OwnerIndex, type Placement, type PlaceSkipReason } from "./place.js";
import { parseZoneinfo, type ZoneinfoZone } from "./zoneinfo.js";

/** Options of {@link importCapture}. */
export interface ImportOptions {
  /**
   * Skip and count bad dump records (and ignore an optional file that does not parse) instead of
   * throwing at the first one. @defaultValue false
   */
  readonly lenient?: boolean;
}

/**
 * What a caller may wire into a rebuilt machine: its clock, `current`, printk and reclaim. The
 * memory map, reservations and watermark history stay the capture's (they are what was imported).
 */
export type MachineWiring = Pick<MachineOptions, "clock" | "tasks" | "log" | "reclaim" | "warnRatelimit" | "hz" | "cpuset" | "gfpEra" | "maxSlowpathRetries">;

/** The parsed optional files (null = absent, or skipped under lenient). */
export interface ParsedFiles {
  readonly iomem: Iomem | null;
  readonly zoneinfo: readonly ZoneinfoZone[] | null;
  readonly buddyinfo: readonly BuddyinfoRow[] | null;
  readonly pagetypeinfo: Pagetypeinfo | null;
  readonly meminfo: Readonly<Record<string, number>> | null;
  readonly dmesg: Dmesg | null;
}

/** An imported capture. */
export interface ImportedCapture {
  readonly machine: BuddyMachine;
  readonly dump: DumpRecords;
  readonly index: OwnerIndex;
  readonly plan: BootPlan;
  readonly boot: BootChoice;
  readonly placement: Placement;
  readonly files: ParsedFiles;
  /** Files used, and optional files skipped under lenient (with the error). */
  readonly used: readonly CaptureFileName[];
  readonly ignoredFiles: readonly { readonly file: CaptureFileName; readonly error: string }[];
  /** Everything lenient skipped, by reason. */
  readonly skipped: Readonly<Partial<Record<SkipReason | PlaceSkipReason, { count: number; firstLine: number }>>>;
  /** Pageblock types from the dump the model cannot set (Isolate: an isolation in flight); kept Movable. */
  readonly isolatedBlocks: number;
  readonly report: MatchReport;
  /** Mixed blocks per zone index and migratetype (from the dump). */
  readonly mixed: readonly (readonly number[])[];
  /** The options the machine was booted with (memory map, reservations, watermark history). */
  readonly machineOptions: MachineOptions;
  /** A fresh machine in the same state (what-if runs mutate theirs), optionally wired to a simulation. */
  rebuild(wiring?: MachineWiring): BuddyMachine;
}

/**
 * Import a capture.
 * @throws MmError PARSE_ERROR with `{ file, line }` for bad input (unless lenient, where bad dump
 *   records are skipped and counted and a bad optional file is ignored and reported); EINVAL when
 *   no record is left.
 */
export function importCapture(input: CaptureInput, options: ImportOptions = {}): ImportedCapture {
  const lenient = options.lenient === true;
  const ignoredFiles: { file: CaptureFileName; error: string }[] = [];
  const used: CaptureFileName[] = [];
  const parse = <T>(file: CaptureFileName, f: (text: string) => T): T | null => {
    const text = input[file];
    if (text === undefined) return null;
    try {
      const v = f(text);
      used.push(file);
      return v;
    } catch (e) {
      if (!lenient || !(e instanceof MmError)) throw e;
      ignoredFiles.push({ file, error: e.message });
      return null;
    }
  };
  const files: ParsedFiles = {
    iomem: parse("iomem", parseIomem),
    zoneinfo: parse("zoneinfo", parseZoneinfo),
    buddyinfo: parse("buddyinfo", (t) => withFile("buddyinfo", () => parseBuddyinfo(t))),
    pagetypeinfo: parse("pagetypeinfo", (t) => withFile("pagetypeinfo", () => parsePagetypeinfo(t))),
    meminfo: parse("meminfo", parseMeminfo),
    dmesg: parse("dmesg", parseDmesg),
  };
  used.sort((a, b) => CAPTURE_FILES.indexOf(a) - CAPTURE_FILES.indexOf(b));

  const pbOrder = files.pagetypeinfo?.pageblockOrder ?? 9;
  const dumpOpts = { lenient, pageblockOrder: pbOrder };
  const dump = typeof input.pageOwner === "string" ? readDumpText(input.pageOwner, dumpOpts) : readDumpBytes(input.pageOwner, dumpOpts);
  let dumpEnd = 0;
  for (let i = 0; i < dump.count; i++) dumpEnd = Math.max(dumpEnd, dump.pfn[i] + 2 ** dump.order[i]);
  const map = memoryMap(files.dmesg, files.iomem, files.zoneinfo, dumpEnd);
  const index = indexRecords(dump, map.ranges, lenient);
  const allocated = new Uint8Array(index.end);
  for (let p = 0; p < index.end; p++) if (index.recOf[p] !== -1) allocated[p] = 1;
  if (!index.accepted.some((a) => a === 1)) throw new MmError("EINVAL", "no page_owner record left to import");
  const planFor = (k: number): BootPlan => planBoot({ dmesg: files.dmesg, iomem: files.iomem, zoneinfo: files.zoneinfo, allocated, map, inferredLateFreedPages: k });
  let plan = planFor(0);

  let cma = files.pagetypeinfo?.types.includes("CMA") === true;
  let isolatedBlocks = 0;
  for (let i = 0; i < dump.count; i++) {
    if (dump.blockMt[i] === MIGRATE_CMA) cma = true;
  }
  const evidence = thpEvidence(files.dmesg?.commandLine ?? null, files.meminfo, files.zoneinfo);
  let { machine, choice } = bootCapture(plan, files.zoneinfo, evidence, cma);
  if (choice.chosenBy !== "zoneinfo" && files.dmesg === null && files.zoneinfo !== null) {
    // No dmesg: the late frees are unknown; find the count that reproduces zoneinfo's watermarks.
    const kz = files.zoneinfo.filter((z) => z.node === 0).reduce((a, z) => a + z.managed, 0);
    const inferred = inferLateFrees(planFor, files.zoneinfo, evidence, cma, kz);
    if (inferred !== null) {
      plan = inferred.plan;
      machine = inferred.machine;
      choice = { ...inferred.choice, tried: [...choice.tried, ...inferred.choice.tried] };
    }
  }

  // An Isolate block (alloc_contig_range in flight while the dump was read) is set back to what it
  // most likely was before: Movable (isolation starts from Movable or CMA pageblocks).
  const blockMt = dump.blockMt;
  for (let i = 0; i < dump.count; i++) {
    if (blockMt[i] === MIGRATE_ISOLATE) {
      blockMt[i] = 1;
      isolatedBlocks++;
    }
  }
  const placement = placeRecords(machine, dump, index);
  const mixed = mixedBlockCounts(machine, dump, index);
  const report = compareCapture({
    machine,
    dump,
    index,
    plan,
    zoneinfo: files.zoneinfo,
    meminfo: files.meminfo,
    buddyinfo: files.buddyinfo,
    pagetypeinfo: files.pagetypeinfo,
    mixed,
  });
  const mopts = machineOptions(plan, choice.history, cma);
  return {
    machine,
    dump,
    index,
    plan,
    boot: choice,
    placement,
    files,
    used,
    ignoredFiles,
    skipped: { ...dump.skipped, ...index.skipped },
    isolatedBlocks,
    report,
    mixed,
    machineOptions: mopts,
    rebuild(wiring: MachineWiring = {}): BuddyMachine {
      const m = createMachine({ ...mopts, ...wiring });
      placeRecords(m, dump, index);
      return m;
    },
  };
}

/** Re-label a procfs parser's PARSE_ERROR with the file it came from. */
function withFile<T>(file: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof MmError && e.code === "PARSE_ERROR") {
      const line = Number(e.detail?.line ?? 0);
      throw new MmError("PARSE_ERROR", `${file} ${e.message.replace(/^PARSE_ERROR: /, "")}`, { file, line });
    }
    throw e;
  }
}
