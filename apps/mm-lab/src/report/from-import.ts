/**
 * An imported capture (`mm-lab import <dir> --json`, @mm/capture) as report data: what matches
 * the real machine and what does not, with the reason and its size (zoneinfo, free pages against
 * MemFree, buddyinfo order by order, pageblock and mixed-block counts); the free page reporting
 * what-if, one "policy" per reporting policy; and fragmentation by owner (the extfrag indices per
 * order as mm/vmstat.c prints them, the stacks that pin pageblocks). One machine, one
 * deterministic what-if per policy: no intervals, and the page says so.
 */
import type { ImportSummary, OwnerFragmentation, ReportingWhatIf } from "@mm/capture";
import type { Cell, ExtraSection, JsonValue, MetricSpec, ProfileChart, ReportData, ReportTable } from "./data.js";

/** What `mm-lab import --json` prints on its first line. */
export interface ImportJson {
  readonly import: ImportSummary;
  readonly whatIf: { readonly reporting: readonly ReportingWhatIf[] | null; readonly fragmentation: OwnerFragmentation | null };
}

/** The allocator's own frames: the first frame past them names the owner (as `mm-lab import` prints it). */
const ALLOCATOR_FRAME = /^(get_page_from_freelist|__alloc_pages|alloc_pages|__folio_alloc|register_early_stack|init_page_owner)\b/;
/** Pinned pageblocks listed (the fixture has 9; a large machine may have thousands, the census counts them all). */
const PINNED_MAX = 200;
/** Frames of a stack shown in the stacks table. */
const FRAMES_MAX = 12;
/** Owners named per pinned pageblock. */
const OWNERS_MAX = 3;

/** The frame that names a stack's owner: the first outside the page allocator. */
export function ownerFrame(frames: readonly string[]): string {
  return frames.find((f) => !ALLOCATOR_FRAME.test(f)) ?? frames[0] ?? "?";
}

/** "owner (comm)" for a stack handle of `f`, or "#handle" if it is not among the named stacks. */
export function ownerName(f: OwnerFragmentation, handle: number): string {
  const s = f.stacks.find((x) => x.handle === handle);
  return s === undefined ? `#${handle}` : `${ownerFrame(s.frames)} (${s.topComm})`;
}

const orders = (n: number): string[] => Array.from({ length: n }, (_, o) => String(o));
const sign = (n: number): string => (n >= 0 ? `+${n}` : `${n}`);

/** The rows of an extfrag file as mm/vmstat.c prints them: "Node 0, zone   DMA32 0.000 0.001 ..." -> zone and values. */
export function parseExtfragText(text: string): { zone: string; values: number[] }[] {
  const out: { zone: string; values: number[] }[] = [];
  for (const line of text.split("\n")) {
    const m = /^Node \d+, zone\s+(\S+)\s+(.*)$/.exec(line.trimEnd());
    if (m === null) continue;
    out.push({ zone: m[1] ?? "?", values: (m[2] ?? "").trim().split(/\s+/).map(Number) });
  }
  return out;
}

function matchSection(s: ImportSummary): ExtraSection {
  const r = s.report;
  const paragraphs: string[] = [];
  const tables: ReportTable[] = [];
  const profiles: ProfileChart[] = [];
  if (r.zones !== null) {
    paragraphs.push(
      `zoneinfo: managed pages, min/low/high watermarks and lowmem_reserve (protection) ${r.watermarksEqual === true ? "all equal the real zoneinfo" : "DIFFER from the real zoneinfo"}; ` +
        `boot: ${s.boot.history.label}, chosen by ${s.boot.chosenBy}${s.boot.evidence.length > 0 ? ` (${s.boot.evidence.join("; ")})` : ""}.`,
    );
    const rows: (string | number)[][] = [];
    for (const z of r.zones) {
      if (z.present.real === 0 && z.present.imported === 0) continue;
      for (const [field, c] of [["present", z.present], ["spanned", z.spanned], ["managed", z.managed], ["min", z.min], ["low", z.low], ["high", z.high]] as const)
        rows.push([z.zone, field, c.imported, c.real, c.equal ? "=" : "≠"]);
      rows.push([z.zone, "protection", z.protection.imported.join(", "), z.protection.real.join(", "), z.protection.equal ? "=" : "≠"]);
    }
    tables.push({ id: "zoneinfo-table", title: "zoneinfo, imported against real", caption: "Pages; protection is lowmem_reserve against each higher zone.", columns: ["zone", "field", "imported", "real", "match"], rows });
  }
  const f = r.free;
  paragraphs.push(
    `Free pages: the imported machine has ${f.imported}` +
      (f.memFree === null ? " (no meminfo to compare with)." : `, MemFree says ${f.memFree}: ${sign(f.diffToMemFree ?? 0)} pages.`) +
      (f.meminfoVsZoneinfo === null ? "" : ` MemFree − zoneinfo free = ${sign(f.meminfoVsZoneinfo)} (the two files were read at different moments).`) +
      (f.zones === null
        ? ""
        : ` Per zone, imported − zoneinfo free = pages on the per-cpu lists (free to page_owner, not counted in NR_FREE_PAGES) − pages allocated between the /proc read and the dump + reserved pages that found no room: ` +
          `${f.explained === true ? "this adds up in every zone" : "this does NOT add up in every zone"}.`),
  );
  if (f.zones !== null)
    tables.push({
      id: "free-table",
      title: "Free pages against zoneinfo, and why they differ",
      caption: "difference = on per-cpu lists − allocated between the reads + reserved without room.",
      columns: ["zone", "imported free", "zoneinfo free", "difference", "on per-cpu lists", "allocated between the reads", "reserved without room"],
      rows: f.zones.map((z) => [z.zone, z.imported, z.real, z.diff, z.pcpPages, z.drift, z.reservedShortfall]),
    });
  if (r.buddyinfo !== null) {
    for (const z of r.buddyinfo.zones) {
      const d = z.importedPages - z.realPages;
      profiles.push({
        id: `buddyinfo-${z.zone}`,
        title: `buddyinfo, zone ${z.zone}: imported against real`,
        caption:
          `Free blocks per order. ${z.importedPages} free pages imported, ${z.realPages} in the real buddyinfo (${sign(d)})` +
          (z.zoneinfoFree === null || d === 0
            ? "."
            : `: imported − zoneinfo free ${sign(z.importedPages - z.zoneinfoFree)} (per-cpu lists and allocations between the reads, above), zoneinfo free − buddyinfo ${sign(z.zoneinfoFree - z.realPages)} (the two files were read at different moments).`),
        xLabel: "order",
        yLabel: "free blocks",
        categories: orders(z.real.length),
        groups: [
          { name: "imported", values: [...z.imported] },
          { name: "real", values: [...z.real] },
        ],
        digits: 0,
      });
    }
    const h = r.buddyinfo.highOrderPages;
    paragraphs.push(`Pages in free blocks of order ≥ 9 (what THP and the reporting what-if use): imported ${h.imported}, real ${h.real}${h.equal ? " (equal)" : ` (${sign(h.imported - h.real)})`}.`);
  }
  const p = r.pagetypeinfo;
  if (p !== null) {
    const rows = p.blocks.flatMap((b) => [
      [b.zone, "imported", ...b.imported],
      [b.zone, "real", ...b.real],
    ]);
    tables.push({ id: "pageblocks-table", title: "Pageblocks per migratetype (pagetypeinfo)", caption: "Imported from the records' `Block N type X`; real from pagetypeinfo.", columns: ["zone", "source", ...p.types], rows });
    if (p.mixed !== null) {
      paragraphs.push(`Number of mixed blocks computed from the dump ${p.mixed.every((b) => b.equal) ? "equals" : "differs from"} the real pagetypeinfo's.`);
      for (const b of p.mixed)
        profiles.push({
          id: `mixed-${b.zone}`,
          title: `Mixed blocks, zone ${b.zone}: from the dump against pagetypeinfo`,
          caption: "Pageblocks of each type holding an allocation of another type (pagetypeinfo's \"Number of mixed blocks\").",
          xLabel: "pageblock type",
          yLabel: "mixed blocks",
          categories: [...p.types],
          groups: [
            { name: "from the dump", values: [...b.imported] },
            { name: "real pagetypeinfo", values: [...b.real] },
          ],
          digits: 0,
        });
    } else paragraphs.push("The real pagetypeinfo has no \"Number of mixed blocks\" section (page_owner was off when it was read).");
  }
  for (const a of s.assumptions) paragraphs.push(`Assumed: ${a}.`);
  return { id: "match", title: "What matches the real machine, and what does not", paragraphs, profiles, tables, pre: [] };
}

const REPORTING_METRICS: readonly (MetricSpec & { readonly of: (r: ReportingWhatIf) => number })[] = [
  { key: "peakIsolated", label: "peak isolated", unit: "pages", digits: 0, of: (r) => r.peakIsolated, description: "Most pages isolated at once (pulled off the free lists while the device works on them)." },
  { key: "freeAtPeak", label: "free at peak", unit: "pages", digits: 0, of: (r) => r.freeAtPeak, description: "Free pages left at that moment; compare with the zones' min and low watermarks summed." },
  { key: "reportedPages", label: "reported", unit: "pages", digits: 0, of: (r) => r.reportedPages, description: "Pages reported to the host over the run." },
  { key: "reportCalls", label: "report() calls", unit: "", digits: 0, of: (r) => r.reportCalls, description: "Calls into the device's report()." },
  { key: "discardedPermille", label: "discarded", unit: "‰ of free", digits: 0, of: (r) => r.discardedPermille, description: "Share of the starting free memory the host holds discarded at the end, in 1/1000." },
  { key: "isolateFailures", label: "isolate failures", unit: "", digits: 0, of: (r) => r.isolateFailures, description: "Blocks the reporter could not isolate." },
];

function reportingTable(rows: readonly ReportingWhatIf[]): ReportTable {
  return {
    id: "reporting-table",
    title: "Free page reporting on this machine's free memory, every number",
    caption: "One registration of the balloon, nothing else running; sizes in 4 KiB pages.",
    columns: ["policy", "free at start", "peak isolated", "free at peak", "min (sum)", "low (sum)", "below min", "below low", "passes", "report calls", "reported", "marked reported", "isolate failures", "discarded", "discarded ‰", "description"],
    rows: rows.map((r) => [
      r.policy,
      r.freeAtStart,
      r.peakIsolated,
      r.freeAtPeak,
      r.sumMin,
      r.sumLow,
      String(r.belowMin),
      String(r.belowLow),
      r.passes,
      r.reportCalls,
      r.reportedPages,
      r.markedReported,
      r.isolateFailures,
      r.discardedPages,
      r.discardedPermille,
      r.description,
    ]),
  };
}

function fragmentationSection(f: OwnerFragmentation): ExtraSection {
  const profiles: ProfileChart[] = [];
  const index = (key: string, title: string, what: string, imported: string, real: string | null): void => {
    const realRows = real === null ? [] : parseExtfragText(real);
    for (const row of parseExtfragText(imported)) {
      const r = realRows.find((x) => x.zone === row.zone);
      profiles.push({
        id: `${key}-${row.zone}`,
        title: `${title}, zone ${row.zone}`,
        caption: `${what} Per order, as /sys/kernel/debug/extfrag prints it (mm/vmstat.c), for the imported free lists${r === undefined ? "" : " and for the real buddyinfo"}.`,
        xLabel: "order",
        yLabel: title,
        categories: orders(row.values.length),
        groups: [{ name: "imported", values: row.values }, ...(r === undefined ? [] : [{ name: "real buddyinfo", values: r.values }])],
        digits: 3,
      });
    }
  };
  index("unusable", "unusable free index", "Share of free memory an allocation of that order cannot use (0: all of it usable, 1: none).", f.unusableIndex, f.realUnusableIndex);
  index("extfrag", "fragmentation index", "-1.000: the allocation would succeed; towards 0 a failure would be for lack of memory, towards 1 for fragmentation.", f.extfragIndex, f.realExtfragIndex);
  const stack = (h: number): { owner: string; comm: string } => {
    const s = f.stacks.find((x) => x.handle === h);
    return { owner: s === undefined ? `#${h}` : ownerFrame(s.frames), comm: s?.topComm ?? "" };
  };
  const tables: ReportTable[] = [
    {
      id: "polluters-table",
      title: "Unmovable and reclaimable pages inside Movable pageblocks, by stack",
      caption: f.polluters.length === 0 ? "None: every non-movable allocation sits in a pageblock of its own type." : "The mixing pagetypeinfo counts, by the stack that allocated it.",
      columns: ["owner", "comm", "migratetype", "pages", "records", "pageblocks"],
      rows: f.polluters.map((p) => {
        const s = stack(p.handle);
        return [s.owner, s.comm, p.migratetype, p.pages, p.records, p.pageblocks];
      }),
    },
    {
      id: "census-table",
      title: "Aligned blocks of order 9 and 10: why an allocation there fails",
      caption: "free: the allocation succeeds; movable only: compaction could empty it; pinned: an unmovable or reclaimable allocation holds it; reserved: memblock reservations or holes.",
      columns: ["order", "free", "movable only", "pinned", "reserved / holes"],
      rows: f.census.map((c) => [c.order, c.free, c.movableOnly, c.pinned, c.reserved]),
    },
    {
      id: "blockers-table",
      title: "Owners that block order-9 and order-10 allocations",
      caption: "Stacks holding non-movable pages in pinned blocks: blocks pinned and those pages, most blocks first.",
      columns: ["order", "owner", "comm", "blocks pinned", "pages"],
      rows: f.census.flatMap((c) =>
        c.blockers.map((b) => {
          const s = stack(b.handle);
          return [c.order, s.owner, s.comm, b.blocks, b.pages];
        }),
      ),
    },
    {
      id: "pinned-table",
      title: "Pinned pageblocks, and who holds each",
      caption: `Every pageblock an order-9 allocation cannot use because of a non-movable allocation; the ${OWNERS_MAX} largest owners of each.`,
      columns: ["pfn", "zone", "type", "free pages", "movable pages", "owners (pages, migratetype)"],
      rows: f.pinnedPageblocks.slice(0, PINNED_MAX).map((b) => [
        b.pfn,
        b.zone,
        b.type,
        b.freePages,
        b.movablePages,
        b.owners
          .slice(0, OWNERS_MAX)
          .map((o) => `${stack(o.handle).owner} (${o.pages}, ${o.migratetype})`)
          .join("; ") + (b.owners.length > OWNERS_MAX ? `; ${b.owners.length - OWNERS_MAX} more` : ""),
      ]),
      omitted: Math.max(0, f.pinnedPageblocks.length - PINNED_MAX),
    },
  ];
  // The stacks the tables above name (the what-if names more: every owner of every pinned block).
  const named = new Set<number>([
    ...f.polluters.map((p) => p.handle),
    ...f.census.flatMap((c) => c.blockers.map((b) => b.handle)),
    ...f.pinnedPageblocks.slice(0, PINNED_MAX).flatMap((b) => b.owners.slice(0, OWNERS_MAX).map((o) => o.handle)),
  ]);
  tables.push({
    id: "stacks-table",
    title: "The stacks named above",
    caption: `Handle in the imported stack depot, the comm with most pages from it, the first ${FRAMES_MAX} frames.`,
    columns: ["handle", "comm", "frames"],
    rows: f.stacks.filter((s) => named.has(s.handle)).map((s) => [s.handle, s.topComm, s.frames.slice(0, FRAMES_MAX).join(" ← ") + (s.frames.length > FRAMES_MAX ? " ← …" : "")]),
  });
  const pre = [
    { title: "extfrag/unusable_index (imported)", text: f.unusableIndex },
    { title: "extfrag/extfrag_index (imported)", text: f.extfragIndex },
    ...(f.realUnusableIndex === null ? [] : [{ title: "extfrag/unusable_index (from the real buddyinfo)", text: f.realUnusableIndex }]),
    ...(f.realExtfragIndex === null ? [] : [{ title: "extfrag/extfrag_index (from the real buddyinfo)", text: f.realExtfragIndex }]),
  ];
  return { id: "fragmentation", title: "Fragmentation by owner", paragraphs: [], profiles, tables, pre };
}

/** The import's report data; `config` is the command's record (dir, options), `prov` who ran it. */
export function importReportData(j: ImportJson, config: JsonValue, prov: { version: string; revision: string | null }, seed: number): ReportData {
  const s = j.import;
  const reporting = j.whatIf.reporting;
  const frag = j.whatIf.fragmentation;
  const policies = reporting === null ? [] : reporting.map((r) => r.policy);
  const cells: Cell[] =
    reporting === null
      ? []
      : reporting.map((r) => ({ policy: r.policy, params: {}, seeds: 1, metrics: Object.fromEntries(REPORTING_METRICS.map((m) => [m.key, { value: m.of(r), lo: null, hi: null }])) }));
  const extra: ExtraSection[] = [matchSection(s)];
  if (reporting !== null)
    extra.push({
      id: "reporting",
      title: "What-if: free page reporting on this machine's free memory",
      paragraphs: [
        `Each policy runs on a fresh copy of the imported machine: the balloon registers, nothing else runs. One machine and a deterministic run per policy: the numbers have no interval.`,
      ],
      profiles: [],
      tables: [reportingTable(reporting)],
      pre: [],
    });
  if (frag !== null) extra.push(fragmentationSection(frag));
  const missing = [reporting === null ? "reporting" : null, frag === null ? "fragmentation" : null].filter((x) => x !== null);
  const skipped = Object.entries(s.skipped);
  return {
    experiment: "import",
    title: `Imported capture: ${s.dump.records} page_owner records (${s.dump.format} format)`,
    summary:
      `${s.dump.records} records holding ${s.dump.pages} pages and ${s.dump.stacks} distinct stacks, from ${s.files.join(", ")}; memory map from ${s.memoryMap.source}.` +
      (skipped.length === 0 ? "" : ` Skipped (--lenient): ${skipped.map(([k, v]) => `${v?.count ?? 0} ${k} (first at line ${v?.firstLine ?? 0})`).join(", ")}.`) +
      (s.ignoredFiles.length === 0 ? "" : ` Ignored files: ${s.ignoredFiles.map((f) => `${f.file} (${f.error})`).join(", ")}.`) +
      (missing.length === 0 ? "" : ` Not run: what-if ${missing.join(", ")} (--what-if all runs both).`),
    provenance: { version: prov.version, revision: prov.revision ?? "unknown", seeds: `${seed} (the what-if simulation; nothing in it is random)`, config },
    policies,
    axes: [],
    metrics: REPORTING_METRICS.map(({ key, label, unit, digits, description }) => ({ key, label, unit, digits, description })),
    headline: reporting === null ? [] : ["peakIsolated", "reportedPages", "discardedPermille"],
    heatmap: null,
    tradeoff: null,
    cells,
    seriesSpecs: [],
    series: [],
    extra,
  };
}
