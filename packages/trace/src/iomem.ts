/**
 * /proc/iomem's top-level `System RAM` lines as pfn ranges (what the replay boots its machine
 * from when the capture has the file; read as root, or the addresses print as zeros).
 */
import { MmError, PAGE_SHIFT } from "@mm/api";
import type { PfnRange } from "@mm/buddy";

export function systemRamRanges(iomem: string): PfnRange[] {
  const out: PfnRange[] = [];
  let lineNo = 0;
  for (const line of iomem.split("\n")) {
    lineNo++;
    const m = /^([0-9a-f]+)-([0-9a-f]+) : System RAM$/.exec(line);
    if (m === null) continue;
    const start = BigInt(`0x${m[1]}`);
    const end = BigInt(`0x${m[2]}`) + 1n;
    const s = Number((start + (1n << BigInt(PAGE_SHIFT)) - 1n) >> BigInt(PAGE_SHIFT));
    const e = Number(end >> BigInt(PAGE_SHIFT));
    if (e > s) out.push({ startPfn: s, endPfn: e });
  }
  if (out.length > 0 && out.every((r) => r.startPfn === 0 && r.endPfn === 0))
    throw new MmError("PARSE_ERROR", "iomem: every System RAM range is zero (read /proc/iomem as root)");
  if (out.length === 0) throw new MmError("PARSE_ERROR", `iomem: no top-level "System RAM" line in ${lineNo} lines`);
  return out;
}
