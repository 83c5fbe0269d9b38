/**
 * The boot log lines the import needs: the memblock memory map (`Early memory node ranges`,
 * printed by free_area_init), the e820 map, `Zone ranges`, mem_init_print_info()'s `Memory:` line,
 * every free_reserved_area() / free_init_pages() `Freeing ... memory: NK` line, the initrd
 * (`RAMDISK: [mem ...]`, early_reserve_initrd) and the command line. Accepts `dmesg`, `dmesg -t`,
 * `dmesg -r` (`<6>` prefixes) and `journalctl -k` style prefixes.
 */
import { MmError, PAGE_SHIFT } from "@mm/api";
import type { PfnRange } from "@mm/buddy";

/** mem_init_print_info(): `Memory: %luK/%luK available (... %luK reserved, %luK cma-reserved)`. */
export interface DmesgMemoryLine {
  /** K(nr_free_pages()) at mem_init. */
  readonly availableK: number;
  /** K(physpages): present pages. */
  readonly physK: number;
  /** K(physpages - totalram_pages() - totalcma_pages). */
  readonly reservedK: number;
  readonly cmaReservedK: number;
  readonly initK: number;
  readonly line: number;
}

/** One `Freeing <what> memory: <N>K` line. */
export interface DmesgFree {
  readonly what: string;
  readonly kb: number;
  readonly line: number;
}

export interface Dmesg {
  /** `Linux version X` (the release), or null. */
  readonly release: string | null;
  readonly commandLine: string | null;
  /** `Early memory node ranges`: memblock.memory, as pfn ranges. */
  readonly nodeRanges: readonly PfnRange[];
  /** `BIOS-e820: ... usable` ranges, whole pages. */
  readonly e820Usable: readonly PfnRange[];
  /** `Zone ranges:` entries: name -> pfn range, or null for `empty`. */
  readonly zoneRanges: Readonly<Record<string, PfnRange | null>>;
  readonly memory: DmesgMemoryLine | null;
  readonly frees: readonly DmesgFree[];
  /** `RAMDISK: [mem a-b]`: the initrd's pages (freed later by free_initrd_mem). */
  readonly ramdisk: PfnRange | null;
}

const PREFIX = /^(?:<\d+>)?(?:\[\s*\d+\.\d+\] ?)?(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ kernel: )?/;
const MEM = /\[mem (0x[0-9a-fA-F]+)-(0x[0-9a-fA-F]+)\]/;

/** [start, end] inclusive byte addresses -> the whole pages inside. */
function pages(start: string, end: string): PfnRange {
  const s = Number((BigInt(start) + BigInt((1 << PAGE_SHIFT) - 1)) >> BigInt(PAGE_SHIFT));
  const e = Number((BigInt(end) + 1n) >> BigInt(PAGE_SHIFT));
  return { startPfn: s, endPfn: e };
}

/** Parse a boot log. Lines it does not know are ignored; a known line that does not parse is an error. */
export function parseDmesg(text: string): Dmesg {
  const lines = text.split("\n");
  let release: string | null = null;
  let commandLine: string | null = null;
  const nodeRanges: PfnRange[] = [];
  const e820Usable: PfnRange[] = [];
  const zoneRanges: Record<string, PfnRange | null> = {};
  let memory: DmesgMemoryLine | null = null;
  const frees: DmesgFree[] = [];
  let ramdisk: PfnRange | null = null;
  let section: "" | "zones" | "nodes" = "";
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const l = lines[i].replace(/\r$/, "").replace(PREFIX, "");
    if (release === null && l.startsWith("Linux version ")) release = l.slice(14).split(" ")[0] ?? null;
    else if (commandLine === null && l.startsWith("Command line: ")) commandLine = l.slice(14).trim();
    if (l === "Zone ranges:") {
      section = "zones";
      continue;
    }
    if (l === "Early memory node ranges") {
      section = "nodes";
      continue;
    }
    if (section === "zones") {
      const z = /^ {2}(\S+) +(?:\[mem (0x[0-9a-fA-F]+)-(0x[0-9a-fA-F]+)\]|empty)$/.exec(l);
      if (z !== null) {
        zoneRanges[z[1]] = z[2] === undefined || z[3] === undefined ? null : pages(z[2], z[3]);
        continue;
      }
      section = "";
    } else if (section === "nodes") {
      const z = /^ {2}node +\d+: \[mem (0x[0-9a-fA-F]+)-(0x[0-9a-fA-F]+)\]$/.exec(l);
      if (z !== null) {
        const r = pages(z[1], z[2]);
        if (r.endPfn > r.startPfn) nodeRanges.push(r);
        continue;
      }
      section = "";
    }
    if (l.startsWith("BIOS-e820: ") && l.endsWith(" usable")) {
      const m = MEM.exec(l);
      if (m === null) throw new MmError("PARSE_ERROR", `dmesg line ${n}: malformed e820 line`, { file: "dmesg", line: n });
      const r = pages(m[1], m[2]);
      if (r.endPfn > r.startPfn) e820Usable.push(r);
    } else if (l.startsWith("Memory: ") && l.includes(" available (")) {
      const m = /^Memory: (\d+)K\/(\d+)K available \(.*?(\d+)K init, .*?(\d+)K reserved, (\d+)K cma-reserved/.exec(l);
      if (m === null) throw new MmError("PARSE_ERROR", `dmesg line ${n}: malformed Memory: line`, { file: "dmesg", line: n });
      memory = { availableK: Number(m[1]), physK: Number(m[2]), initK: Number(m[3]), reservedK: Number(m[4]), cmaReservedK: Number(m[5]), line: n };
    } else if (l.startsWith("Freeing ") && / memory: \d+K$/.test(l)) {
      const m = /^Freeing (.*) memory: (\d+)K$/.exec(l);
      if (m !== null) frees.push({ what: m[1], kb: Number(m[2]), line: n });
    } else if (l.startsWith("RAMDISK: ")) {
      const m = MEM.exec(l);
      if (m === null) throw new MmError("PARSE_ERROR", `dmesg line ${n}: malformed RAMDISK line`, { file: "dmesg", line: n });
      ramdisk = pages(m[1], m[2]);
    }
  }
  return { release, commandLine, nodeRanges, e820Usable, zoneRanges, memory, frees, ramdisk };
}

/**
 * Whether a `Freeing ... memory` line comes before init_per_zone_wmark_min (a postcore initcall)
 * and so counts in the first watermark setup. Only `SMP alternatives` does: alternative_instructions()
 * runs from start_kernel (check_bugs / arch_cpu_finalize_init) before any initcall. The rest are
 * initcalls or later: free_initrd_mem (populate_rootfs, rootfs_initcall), free_initmem and the
 * text/rodata gaps (kernel_init, after every initcall), unused decrypted memory (free_initmem).
 */
export function freedBeforeWatermarks(what: string): boolean {
  return what === "SMP alternatives";
}
