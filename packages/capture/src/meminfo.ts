/** /proc/meminfo (fs/proc/meminfo.c): `Name:   value kB` lines, values in kB (counts for HugePages_*). */
import { MmError } from "@mm/api";

/** Parse /proc/meminfo into name -> value (kB, or a count where no unit is printed). */
export function parseMeminfo(text: string): Readonly<Record<string, number>> {
  const out: Record<string, number> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i].replace(/\r$/, "");
    if (l.length === 0) continue;
    const m = /^([A-Za-z0-9_()]+): +(\d+)( kB)?$/.exec(l);
    if (m === null) throw new MmError("PARSE_ERROR", `meminfo line ${i + 1}: ${JSON.stringify(l.slice(0, 60))}`, { file: "meminfo", line: i + 1 });
    out[m[1]] = Number(m[2]);
  }
  if (out.MemTotal === undefined) throw new MmError("PARSE_ERROR", "meminfo line 1: no MemTotal", { file: "meminfo", line: 1 });
  return out;
}
