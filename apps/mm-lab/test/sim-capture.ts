/**
 * A second capture, made by the simulator, so that nothing in `--from` fits only the 6.1 fixture:
 * 6.12 text format (page_owner era 6.10+: hex PFN, no free_ts), a different size and layout (two
 * RAM ranges with a hole, 1 GiB span, DMA + DMA32), a different workload and seed. Written as a
 * user would copy it: page_owner, buddyinfo, pagetypeinfo, zoneinfo (the fields the kernel's
 * zoneinfo_show_print prints that the import reads) and dmesg's memory node ranges.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MAX_NR_ZONES } from "@mm/api";
import type { BuddyMachine } from "@mm/buddy";
import { readPageOwnerFile } from "@mm/page-owner";
import { bootOwnerSystem, runBootWorkload, type OwnerSystem } from "../src/experiments/page-owner-wiring.js";

/** RAM of the second capture: 640 KiB..384 MiB and 768 MiB..1 GiB (a hole, as a VM with a PCI window may have). */
export const SIM_RANGES = [
  { startPfn: 1, endPfn: 160 },
  { startPfn: 256, endPfn: 98304 },
  { startPfn: 196608, endPfn: 262144 },
] as const;

/** zoneinfo of a machine: the lines of zoneinfo_show_print (mm/vmstat.c) that the import reads. */
export function zoneinfoOf(m: BuddyMachine): string {
  const out: string[] = [];
  for (const z of m.zones) {
    out.push(`Node 0, zone ${z.name.padStart(8)}`);
    out.push(`  pages free     ${z.freePages}`);
    out.push(`        boost    ${z.watermarkBoost}`);
    out.push(`        min      ${z.watermarks[0]}`);
    out.push(`        low      ${z.watermarks[1]}`);
    out.push(`        high     ${z.watermarks[2]}`);
    out.push(`        spanned  ${z.spanned}`);
    out.push(`        present  ${z.present}`);
    out.push(`        managed  ${z.managed}`);
    out.push(`        cma      ${z.cmaPages}`);
    out.push(`        protection: (${z.lowmemReserve.slice(0, MAX_NR_ZONES).join(", ")})`);
    if (z.populated) out.push(`  start_pfn:           ${z.startPfn}`);
  }
  return `${out.join("\n")}\n`;
}

/** Write the simulated machine's capture to a temp directory. */
export function simulatedCapture612(): { dir: string; sys: OwnerSystem } {
  const sys = bootOwnerSystem({ ranges: SIM_RANGES, era: "6.10", seed: 11 });
  runBootWorkload(sys, 900);
  const dir = mkdtempSync(join(tmpdir(), "mm-from-612-"));
  writeFileSync(join(dir, "page_owner"), readPageOwnerFile(sys.owner));
  writeFileSync(join(dir, "buddyinfo"), sys.machine.buddyinfo());
  writeFileSync(join(dir, "pagetypeinfo"), sys.pagetypeinfo());
  writeFileSync(join(dir, "zoneinfo"), zoneinfoOf(sys.machine));
  const hex = (n: number): string => `0x${n.toString(16).padStart(16, "0")}`;
  const dmesg = ["Early memory node ranges", ...sys.machine.ranges.map((r) => `  node   0: [mem ${hex(r.startPfn * 4096)}-${hex(r.endPfn * 4096 - 1)}]`), ""];
  writeFileSync(join(dir, "dmesg"), dmesg.join("\n"));
  return { dir, sys };
}
