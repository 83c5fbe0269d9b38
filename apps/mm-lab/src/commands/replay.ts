/**
 * `mm-lab replay <trace>`: a real kernel's page allocation trace through the model (@mm/trace).
 * With `--capture <dir>` (the layout of fixtures/trace-6.1-qemu: start-iomem, end-buddyinfo) the
 * machine gets the capture's memory map and the end state is compared with the real buddyinfo.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Command, Option } from "commander";
import cliProgress from "cli-progress";
import { MmError } from "@mm/api";
import { compareBuddyinfo, replayTrace, systemRamRanges, type ReplayResult } from "@mm/trace";

interface ReplayFlags {
  capture?: string;
  iomem?: string;
  json?: boolean;
  samples: string;
  checkEvery: string;
  whatIf: boolean;
  top: string;
  format: "auto" | "ftrace" | "perf" | "llfree";
  gfpEra: "6.1" | "current";
  strict?: boolean;
}

function intFlag(name: string, v: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new MmError("EINVAL", `--${name} expects an integer >= ${min}, got "${v}"`);
  return n;
}

/** The first frames past the page allocator's own entry points: where the allocation came from. */
const ALLOCATOR_FRAME = /^(__rmqueue|rmqueue|rmqueue_bulk|get_page_from_freelist|__alloc_pages_bulk|__alloc_pages|alloc_pages|__folio_alloc|folio_alloc|vma_alloc_folio|alloc_pages_vma|__get_free_pages|get_zeroed_page|__page_cache_alloc|alloc_slab_page)\b/;

function callSite(frames: readonly string[]): string {
  const i = frames.findIndex((f) => !ALLOCATOR_FRAME.test(f));
  if (i < 0) return frames[0] ?? "(no stack)";
  return frames.slice(i, i + 3).join(" <- ");
}

function pct(x: number): string {
  return `${x.toFixed(1)}%`;
}

function formatText(r: ReplayResult, source: string, diff: ReturnType<typeof compareBuddyinfo> | null, checkEvery: number): string {
  const t = r.trace;
  const c = r.counters;
  const out: string[] = [];
  const entries = t.entriesInBuffer >= 0 ? ` (entries-in-buffer/entries-written ${t.entriesInBuffer}/${t.entriesWritten})` : "";
  out.push(`trace    ${source}: ${t.format}, ${c.events} events on ${t.cpus} CPUs, ${t.lostEvents} lost${entries}`);
  out.push(`         ${(r.scan.lastNs - r.scan.firstNs) / 1e9} s traced; ${r.stacks.distinct} distinct stacks`);
  out.push(`machine  pfn ${r.machine.startPfn}..${r.machine.endPfn}: ${r.machine.zones.map((z) => `${z.name} ${z.managed}`).join(", ")} managed pages`);
  out.push(
    `replay   ${c.allocs} allocations and ${c.frees} frees placed at the kernel's pfns; ${c.preexisting} blocks (${c.preexistingPages} pages) predate the trace`,
  );
  out.push(
    `         unmatched frees ${c.unmatchedFrees} (pages taken by paths without an event, e.g. compaction), missed frees ${c.missedFrees}, split frees ${c.splitFrees}, failed allocations ${c.failedAllocs}`,
  );
  out.push(`         invariants held: checked every ${checkEvery} events and at the end; each event checks the pages it touched`);
  const last = r.series.real.at(-1);
  const mlast = r.series.model?.at(-1);
  if (last !== undefined) {
    out.push("");
    out.push("at the end            kernel's choices   model's choices");
    out.push(`free-huge (LLFree)    ${pct(last.freeHugePercent).padStart(16)}   ${mlast ? pct(mlast.freeHugePercent).padStart(15) : "-"}`);
    out.push(`mixed pageblocks      ${String(last.mixedPageblocks).padStart(16)}   ${mlast ? String(mlast.mixedPageblocks).padStart(15) : "-"}`);
    for (let i = 0; i < last.zones.length; i++) {
      const z = last.zones[i];
      const mz = mlast?.zones[i];
      const u9 = (v: readonly number[]) => (v[9] === undefined ? "-" : (v[9] / 1000).toFixed(3));
      out.push(`unusable idx o9 ${z.zone.padEnd(6)}${u9(z.unusableIndex).padStart(15)}   ${mz ? u9(mz.unusableIndex).padStart(15) : "-"}`);
    }
    if (r.model !== null) out.push(`model: ${r.model.allocs} placed, ${r.model.failures} refused, ${r.model.samePfn} at the kernel's pfn`);
  }
  out.push("");
  out.push("stacks by peak live pages");
  for (const s of r.stacks.byPeakLive.slice(0, 10)) {
    const site = callSite(s.frames);
    out.push(`  ${String(s.peakLivePages).padStart(7)} peak ${String(s.livePages).padStart(7)} live ${String(s.allocs).padStart(7)} allocs  ${site}`);
  }
  if (r.stacks.byFragmenting.length > 0) {
    out.push("stacks whose fallbacks fragmented pageblocks (mm_page_alloc_extfrag fragmenting=1)");
    for (const s of r.stacks.byFragmenting) out.push(`  ${s.fragmentingFallbacks} fallbacks in ${s.fragmentedPageblocks} pageblocks  ${callSite(s.frames)}`);
  } else out.push("no fragmenting fallback in the trace (mm_page_alloc_extfrag fragmenting=1)");
  if (diff !== null) {
    out.push("");
    out.push("vs the capture's buddyinfo at the end (free pages real / replay; the replay has every untouched page free, the kernel's pcp lists hold some)");
    for (const d of diff) out.push(`  ${d.zone.padEnd(7)} ${d.realFreePages} / ${d.replayFreePages}  real [${d.real.join(" ")}]  replay [${d.replay.join(" ")}]`);
  }
  return out.join("\n") + "\n";
}

export function replayCommand(out: (s: string) => void): Command {
  return new Command("replay")
    .description("replay a kernel page allocation trace (ftrace text, perf script, LLFree binary; .gz/.br ok) through the model")
    .argument("<trace>", "trace file")
    .option("--capture <dir>", "capture directory: start-iomem (memory map) and end-buddyinfo (compared at the end)")
    .option("--iomem <file>", "/proc/iomem of the traced machine (its System RAM is the model's memory)")
    .option("--json", "print the result as one JSON object")
    .option("--samples <n>", "fragmentation samples over the trace's time span", "100")
    .option("--check-every <n>", "full invariant check every n events (1 = after every event)", "1024")
    .option("--no-what-if", "skip the replay with the model choosing pfns")
    .option("--top <n>", "stacks to list", "10")
    .addOption(new Option("--format <f>", "trace format").choices(["auto", "ftrace", "perf", "llfree"]).default("auto"))
    .addOption(new Option("--gfp-era <era>", "gfp_flags name table").choices(["6.1", "current"]).default("6.1"))
    .option("--strict", "stop at the first malformed kmem event")
    .action(async (trace: string, flags: ReplayFlags) => {
      {
        const samples = intFlag("samples", flags.samples, 1);
        const checkEvery = intFlag("check-every", flags.checkEvery, 0);
        const top = intFlag("top", flags.top, 1);
        const iomemPath = flags.iomem ?? (flags.capture !== undefined ? [join(flags.capture, "start-iomem"), join(flags.capture, "iomem")].find((p) => existsSync(p)) : undefined);
        const ranges = iomemPath !== undefined ? systemRamRanges(readFileSync(iomemPath, "utf8")) : undefined;
        const bar =
          process.stderr.isTTY && flags.json !== true
            ? new cliProgress.SingleBar({ format: "{phase} [{bar}] {percentage}% ETA {eta}s", stream: process.stderr, clearOnComplete: true }, cliProgress.Presets.shades_classic)
            : null;
        let phase = "";
        const r = await replayTrace(trace, {
          ...(ranges !== undefined ? { ranges } : {}),
          samples,
          checkEvery,
          whatIf: flags.whatIf,
          topStacks: top,
          format: flags.format,
          gfpEra: flags.gfpEra,
          strict: flags.strict === true,
          onProgress: (p, read, total) => {
            if (bar === null) return;
            if (p !== phase) {
              if (phase !== "") bar.stop();
              phase = p;
              bar.start(total, 0, { phase: p });
            }
            bar.update(read, { phase: p });
          },
        });
        bar?.stop();
        const endBuddy = flags.capture !== undefined ? [join(flags.capture, "end-buddyinfo"), join(flags.capture, "buddyinfo")].find((p) => existsSync(p)) : undefined;
        const diff = endBuddy !== undefined ? compareBuddyinfo(readFileSync(endBuddy, "utf8"), r.buddyinfo.real) : null;
        if (flags.json === true) out(JSON.stringify({ source: trace, config: { samples, checkEvery, whatIf: flags.whatIf, top, format: flags.format, gfpEra: flags.gfpEra, iomem: iomemPath ?? null }, ...r, buddyinfoVsCapture: diff }) + "\n");
        else out(formatText(r, trace, diff, checkEvery));
      }
    });
}
