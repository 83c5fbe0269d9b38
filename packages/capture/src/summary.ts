/**
 * The import's report as JSON-ready data and as text for a terminal: what was read, how the
 * machine was booted, what matches the capture and what does not, and why.
 */
import { ZONE_NAMES } from "@mm/api";
import type { Compared, MatchReport } from "./compare.js";
import type { ImportedCapture } from "./import.js";

/** Plain data (no typed arrays) describing an import; same capture, same JSON. */
export interface ImportSummary {
  readonly files: readonly string[];
  readonly ignoredFiles: ImportedCapture["ignoredFiles"];
  readonly dump: {
    readonly format: string;
    readonly records: number;
    readonly pages: number;
    readonly bytes: number;
    readonly lines: number;
    readonly stacks: number;
    readonly warnings: number;
  };
  readonly skipped: ImportedCapture["skipped"];
  readonly memoryMap: { readonly source: string; readonly ranges: readonly { readonly startPfn: number; readonly endPfn: number }[] };
  readonly reserved: { readonly exact: Readonly<Record<string, number>>; readonly inferred: Readonly<Record<string, number>>; readonly shortfall: Readonly<Record<string, number>> };
  readonly freedAfterWatermarks: number;
  readonly freedBeforeWatermarks: number;
  readonly boot: ImportedCapture["boot"];
  readonly placement: ImportedCapture["placement"];
  readonly isolatedBlocks: number;
  readonly assumptions: readonly string[];
  readonly report: MatchReport;
}

function byZone(a: readonly number[]): Record<string, number> {
  const o: Record<string, number> = {};
  a.forEach((n, z) => {
    if (n !== 0) o[ZONE_NAMES[z]] = n;
  });
  return o;
}

/** The JSON view of an import. */
export function importSummary(imp: ImportedCapture): ImportSummary {
  let pages = 0;
  for (let i = 0; i < imp.dump.count; i++) if (imp.index.accepted[i] === 1) pages += 2 ** imp.dump.order[i];
  return {
    files: ["page_owner", ...imp.used],
    ignoredFiles: imp.ignoredFiles,
    dump: {
      format: imp.dump.format,
      records: imp.placement.placedRecords,
      pages,
      bytes: imp.dump.bytes,
      lines: imp.dump.lines,
      stacks: imp.dump.stacks.stats().stacks,
      warnings: imp.dump.warnings,
    },
    skipped: imp.skipped,
    memoryMap: { source: imp.plan.mapSource, ranges: imp.plan.ranges },
    reserved: { exact: byZone(imp.plan.reservedExact), inferred: byZone(imp.plan.reservedInferred), shortfall: byZone(imp.plan.reservedShortfall) },
    freedAfterWatermarks: imp.plan.lateFreedPages,
    freedBeforeWatermarks: imp.plan.earlyFreedPages,
    boot: imp.boot,
    placement: imp.placement,
    isolatedBlocks: imp.isolatedBlocks,
    assumptions: imp.plan.assumptions,
    report: imp.report,
  };
}

const eq = (c: Compared): string => (c.equal ? `${c.imported}` : `${c.imported}≠${c.real}`);

/** The report as lines for a terminal. */
export function formatImportReport(imp: ImportedCapture): string {
  const s = importSummary(imp);
  const r = s.report;
  const out: string[] = [];
  const skips = Object.entries(s.skipped);
  out.push(
    `dump: ${s.dump.records} records, ${s.dump.pages} pages, ${s.dump.stacks} stacks (${s.dump.format} format, ${s.dump.bytes} bytes)` +
      (skips.length === 0 ? "" : `; skipped ${skips.map(([k, v]) => `${v.count} ${k} (first at line ${v.firstLine})`).join(", ")}`),
  );
  out.push(`files: ${s.files.join(", ")}${s.ignoredFiles.length > 0 ? `; ignored ${s.ignoredFiles.map((f) => `${f.file} (${f.error})`).join(", ")}` : ""}`);
  out.push(`memory map: ${s.memoryMap.source}, ${s.memoryMap.ranges.map((x) => `[${x.startPfn}, ${x.endPfn})`).join(" ")}`);
  out.push(
    `boot: ${s.boot.history.label}, chosen by ${s.boot.chosenBy}` +
      (s.boot.tried.length > 0 ? ` (tried: ${s.boot.tried.map((t) => `${t.label} ${t.matches ? "=" : "≠"}`).join("; ")})` : "") +
      (s.boot.evidence.length > 0 ? `; evidence: ${s.boot.evidence.join("; ")}` : ""),
  );
  if (r.zones !== null) {
    out.push(`zoneinfo (imported, ≠ marks a difference): watermarks and protection ${r.watermarksEqual === true ? "equal" : "DIFFER"}`);
    for (const z of r.zones) {
      if (z.present.real === 0 && z.present.imported === 0) continue;
      out.push(
        `  ${z.zone.padEnd(8)} present ${eq(z.present)} managed ${eq(z.managed)} min ${eq(z.min)} low ${eq(z.low)} high ${eq(z.high)} ` +
          `protection (${z.protection.imported.join(", ")})${z.protection.equal ? "" : `≠(${z.protection.real.join(", ")})`}`,
      );
    }
  }
  const f = r.free;
  out.push(
    `free pages: imported ${f.imported}` +
      (f.memFree === null ? "" : `, MemFree ${f.memFree} (${f.diffToMemFree! >= 0 ? "+" : ""}${f.diffToMemFree})`) +
      (f.meminfoVsZoneinfo !== null && f.meminfoVsZoneinfo !== 0 ? `, MemFree - zoneinfo free ${f.meminfoVsZoneinfo}` : ""),
  );
  for (const z of f.zones ?? []) {
    if (z.diff === 0 && z.pcpPages === 0 && z.drift === 0) continue;
    out.push(
      `  ${z.zone.padEnd(8)} ${z.diff >= 0 ? "+" : ""}${z.diff} = ${z.pcpPages} on per-cpu lists (free to page_owner, not in NR_FREE_PAGES)` +
        ` − ${z.drift} allocated between the /proc read and the dump${z.reservedShortfall > 0 ? ` + ${z.reservedShortfall} reserved pages with no room` : ""}` +
        `${f.explained === true ? "" : " (not fully explained)"}`,
    );
  }
  if (r.buddyinfo !== null) {
    out.push("buddyinfo, imported | real | difference per order:");
    const sign = (n: number): string => (n >= 0 ? `+${n}` : `${n}`);
    for (const z of r.buddyinfo.zones) {
      const d = z.importedPages - z.realPages;
      const why =
        z.zoneinfoFree === null || d === 0
          ? ""
          : `: imported − zoneinfo free ${sign(z.importedPages - z.zoneinfoFree)}, zoneinfo free − buddyinfo ${sign(z.zoneinfoFree - z.realPages)} (the two files were read at different moments)`;
      out.push(`  ${z.zone.padEnd(8)} ${z.imported.join(" ")} | ${z.real.join(" ")} | ${z.diff.join(" ")} (${sign(d)} pages${why})`);
    }
    out.push(`  pages in blocks of order >= 9: ${eq(r.buddyinfo.highOrderPages)}`);
  }
  if (r.pagetypeinfo !== null) {
    out.push(`pagetypeinfo blocks (${r.pagetypeinfo.types.join(", ")}):`);
    for (const b of r.pagetypeinfo.blocks) out.push(`  ${b.zone.padEnd(8)} ${b.imported.join(" ")}${b.equal ? " (equal)" : ` ≠ real ${b.real.join(" ")}`}`);
    if (r.pagetypeinfo.mixed !== null) {
      out.push("Number of mixed blocks, from the dump:");
      for (const b of r.pagetypeinfo.mixed) out.push(`  ${b.zone.padEnd(8)} ${b.imported.join(" ")}${b.equal ? " (equal)" : ` ≠ real ${b.real.join(" ")}`}`);
    }
  }
  for (const a of s.assumptions) out.push(`assumed: ${a}`);
  return `${out.join("\n")}\n`;
}
