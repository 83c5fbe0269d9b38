/**
 * /proc/iomem (kernel/resource.c r_show): `start-end : name`, children indented by two spaces.
 * Read as root it has real addresses; read by another user every address is 0 (the kernel hides
 * them since 4.15, iomem_is_exclusive / r_show's `!capable(CAP_SYS_ADMIN)`): such a file is
 * reported as unusable rather than trusted.
 */
import { MmError, PAGE_SHIFT } from "@mm/api";
import type { PfnRange } from "@mm/buddy";

/** One resource line. */
export interface IomemEntry {
  readonly depth: number;
  /** Physical addresses, inclusive end as printed. */
  readonly start: bigint;
  readonly end: bigint;
  readonly name: string;
  readonly line: number;
}

/** What the import uses of iomem. */
export interface Iomem {
  readonly entries: readonly IomemEntry[];
  /** True when every address is 0 (read without CAP_SYS_ADMIN). */
  readonly hidden: boolean;
  /** Top-level `System RAM`, as whole pages (start rounded up, end down). */
  readonly systemRam: readonly PfnRange[];
  /** `Kernel code` / `Kernel rodata` / `Kernel data` / `Kernel bss` children, as pages they touch. */
  readonly kernelImage: readonly PfnRange[];
}

const LINE = /^( *)([0-9a-fA-F]+)-([0-9a-fA-F]+) : (.*)$/;
const PAGE = BigInt(1 << PAGE_SHIFT);

/** Parse /proc/iomem. @throws MmError PARSE_ERROR with the line for anything else. */
export function parseIomem(text: string): Iomem {
  const entries: IomemEntry[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i].replace(/\r$/, "");
    if (l.length === 0) continue;
    const m = LINE.exec(l);
    if (m === null || m[1].length % 2 !== 0) throw new MmError("PARSE_ERROR", `iomem line ${i + 1}: ${JSON.stringify(l.slice(0, 60))}`, { file: "iomem", line: i + 1 });
    const start = BigInt(`0x${m[2]}`);
    const end = BigInt(`0x${m[3]}`);
    if (end < start) throw new MmError("PARSE_ERROR", `iomem line ${i + 1}: end below start`, { file: "iomem", line: i + 1 });
    entries.push({ depth: m[1].length / 2, start, end, name: m[4], line: i + 1 });
  }
  const hidden = entries.length > 0 && entries.every((e) => e.start === 0n && e.end === 0n);
  const systemRam: PfnRange[] = [];
  const kernelImage: PfnRange[] = [];
  if (!hidden) {
    for (const e of entries) {
      if (e.depth === 0 && e.name === "System RAM") {
        const s = Number((e.start + PAGE - 1n) / PAGE);
        const x = Number((e.end + 1n) / PAGE);
        if (x > s) systemRam.push({ startPfn: s, endPfn: x });
      } else if (e.depth > 0 && /^Kernel (code|rodata|data|bss)$/.test(e.name)) {
        kernelImage.push({ startPfn: Number(e.start / PAGE), endPfn: Number(e.end / PAGE) + 1 });
      }
    }
  }
  return { entries, hidden, systemRam, kernelImage };
}
