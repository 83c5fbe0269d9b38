/**
 * `mm-lab import <dir>`: a real machine's capture (its /proc files, dmesg and page_owner dump)
 * into the model, the report of what matches it, and the what-if runs on it (@mm/capture).
 * Bad input throws MmError (EINVAL, PARSE_ERROR): `main` prints it as one line, exit status 2.
 * Output ends with the provenance, as `run` does: a `{"mmLab":…}` JSON line or a `#` footer.
 */
import { Command } from "commander";
import type { JsonValue } from "../report/data.js";
import { MmError } from "@mm/api";
import {
  formatImportReport,
  importCapture,
  importSummary,
  type ImportedCapture,
  ownerFragmentation,
  readCaptureDir,
  reportingWhatIf,
  type OwnerFragmentation,
  type ReportingWhatIf,
} from "@mm/capture";
import { REPORTING_POLICIES } from "@mm/page-reporting";
import type { RunIO } from "../experiment.js";
import { provenance } from "../provenance.js";
import { importReportData, ownerName, type ImportJson } from "../report/from-import.js";

/** What-if names `--what-if` accepts. */
const WHAT_IFS = ["reporting", "fragmentation"] as const;

interface ImportFlags {
  readonly json?: boolean;
  readonly lenient?: boolean;
  readonly whatIf?: string;
  readonly policies?: string;
  readonly seed: string;
  readonly top: string;
  readonly report?: string;
}

/** No bar: for callers without a terminal (tests, `--json`). */
const QUIET = (): RunIO => ({ write() {}, progress: () => ({ tick() {}, stop() {} }) });

function intFlag(name: string, v: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new MmError("EINVAL", `--${name} ${v}: an integer >= ${min}`);
  return n;
}

function reportingTable(rows: readonly ReportingWhatIf[]): string {
  const head = ["policy", "peak isolated", "free at peak", "min/low", "reports", "reported", "discarded ‰"];
  const lines = rows.map((r) => [
    r.policy,
    `${r.peakIsolated} pages`,
    `${r.freeAtPeak}${r.belowMin ? " < min!" : r.belowLow ? " < low" : ""}`,
    `${r.sumMin}/${r.sumLow}`,
    `${r.reportCalls}`,
    `${r.reportedPages}`,
    `${r.discardedPermille}`,
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (l: readonly string[]): string => l.map((c, i) => c.padEnd(w[i])).join("  ").trimEnd();
  return `${["free page reporting on this machine's free memory (one registration, nothing else running):", fmt(head), ...lines.map(fmt)].join("\n")}\n`;
}

function fragmentationText(f: OwnerFragmentation): string {
  const out: string[] = [];
  const frame = (h: number): string => ownerName(f, h);
  out.push(`unmovable/reclaimable pages in Movable pageblocks: ${f.polluters.length === 0 ? "none" : ""}`);
  for (const p of f.polluters) out.push(`  ${p.pages} ${p.migratetype} pages in ${p.pageblocks} blocks: ${frame(p.handle)}`);
  for (const c of f.census) {
    out.push(`order-${c.order} blocks: ${c.free} free, ${c.movableOnly} movable only (compaction could free), ${c.pinned} pinned, ${c.reserved} reserved/holes`);
    for (const b of c.blockers.slice(0, 5)) out.push(`  pins ${b.blocks} blocks with ${b.pages} pages: ${frame(b.handle)}`);
  }
  const blocks = f.pinnedPageblocks;
  out.push(`pageblocks an order-9 allocation cannot use for their non-movable owners: ${blocks.length}${blocks.length > 5 ? " (first 5; all in --json)" : ""}`);
  for (const b of blocks.slice(0, 5))
    out.push(`  pfn ${b.pfn} ${b.zone} ${b.type}, ${b.freePages} free, ${b.movablePages} movable: ${b.owners.map((o) => `${o.pages} ${o.migratetype} ${frame(o.handle)}`).join("; ")}`);
  // the files' own bytes: each line ends "... " then a newline (seq_printf per order, seq_putc '\n')
  const file = (t: string): string => t.replace(/\n$/, "");
  out.push("extfrag/unusable_index (imported):", file(f.unusableIndex));
  out.push("extfrag/extfrag_index (imported):", file(f.extfragIndex));
  if (f.realUnusableIndex !== null && f.realExtfragIndex !== null)
    out.push("extfrag/unusable_index from the real buddyinfo:", file(f.realUnusableIndex), "extfrag/extfrag_index from the real buddyinfo:", file(f.realExtfragIndex));
  return `${out.join("\n")}\n`;
}

/** What produced the output: the command, its options, the package version and git revision. */
function record(dir: string, whatIf: readonly string[], flags: ImportFlags, seed: number): Record<string, unknown> {
  const p = provenance();
  return {
    command: "import",
    dir,
    options: { lenient: flags.lenient === true, whatIf, policies: flags.policies?.split(",") ?? null, seed, top: Number(flags.top) },
    package: p.package,
    version: p.version,
    revision: p.revision,
  };
}

/** The `import` command; `out` is stdout, `makeIO` gives the progress bars (the CLI's: on stderr, TTY only, none with --json). */
export function importCommand(out: (s: string) => void, makeIO: (json: boolean) => RunIO = QUIET): Command {
  return new Command("import")
    .description("import a real machine's capture (page_owner dump + /proc files + dmesg) and report what matches; --what-if runs policies on it")
    .argument("<dir>", "capture directory (fixtures/kernel-6.1-256M/ is the example layout)")
    .option("--json", "print one JSON object instead of text")
    .option("--lenient", "skip and count bad dump records (and ignore unparsable optional files) instead of failing")
    .option("--what-if <list>", `comma-separated: ${WHAT_IFS.join(", ")}, or all`)
    .option("--policies <list>", "reporting policies for --what-if reporting (default: all)")
    .option("--seed <n>", "seed of the what-if simulation", "0")
    .option("--top <n>", "stacks listed per fragmentation table", "20")
    .option("--report <file>", "also write an HTML report: what matches, the what-ifs, fragmentation by owner")
    .action(async (dir: string, flags: ImportFlags) => {
      const whatIf = flags.whatIf === undefined ? [] : flags.whatIf === "all" ? [...WHAT_IFS] : flags.whatIf.split(",");
      for (const w of whatIf)
        if (!(WHAT_IFS as readonly string[]).includes(w)) throw new MmError("EINVAL", `unknown --what-if "${w}" (known: ${WHAT_IFS.join(", ")}, all)`);
      const seed = intFlag("seed", flags.seed, 0);
      const top = intFlag("top", flags.top, 1);
      if (flags.report !== undefined && flags.report.trim() === "") throw new MmError("EINVAL", "--report expects a file name");
      const policies = flags.policies?.split(",") ?? REPORTING_POLICIES.map((p) => p.name);
      const io = makeIO(flags.json === true);
      // A 17 MB dump takes seconds: one step for the import, one per reporting policy, one for fragmentation.
      const bar = io.progress(1 + (whatIf.includes("reporting") ? policies.length : 0) + (whatIf.includes("fragmentation") ? 1 : 0), "import");
      let imp: ImportedCapture;
      let reporting: ReportingWhatIf[] | null = null;
      let frag: OwnerFragmentation | null = null;
      try {
        imp = importCapture(readCaptureDir(dir).input, { lenient: flags.lenient === true });
        bar.tick();
        if (whatIf.includes("reporting")) {
          reporting = [];
          // One policy at a time (each on a fresh copy, as reportingWhatIf runs them) so the bar moves.
          for (const p of policies) {
            reporting.push(...reportingWhatIf(() => imp.rebuild(), { seed, policies: [p] }));
            bar.tick();
          }
        }
        if (whatIf.includes("fragmentation")) {
          frag = ownerFragmentation(imp.machine, imp.dump, imp.index, imp.files.buddyinfo, { top });
          bar.tick();
        }
      } finally {
        bar.stop();
      }
      const summary = importSummary(imp);
      if (flags.report !== undefined) {
        const j: ImportJson = { import: summary, whatIf: { reporting, fragmentation: frag } };
        const { writeReport } = await import("../report/write.js");
        writeReport(importReportData(j, record(dir, whatIf, flags, seed) as JsonValue, provenance(), seed), flags.report, io);
      }
      if (flags.json === true) {
        out(`${JSON.stringify({ import: summary, whatIf: { reporting, fragmentation: frag } })}\n`);
        out(`${JSON.stringify({ mmLab: record(dir, whatIf, flags, seed) })}\n`);
        return;
      }
      out(formatImportReport(imp));
      if (reporting !== null) out(reportingTable(reporting));
      if (frag !== null) out(fragmentationText(frag));
      const p = provenance();
      out(`\n# import ${dir}${whatIf.length > 0 ? `; what-if ${whatIf.join(",")}; seed ${seed}` : ""}\n# ${p.package} ${p.version}, git ${p.revision ?? "unknown"}\n`);
      if (flags.report !== undefined) out(`report: ${flags.report}\n`);
    });
}
