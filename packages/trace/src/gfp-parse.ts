/**
 * gfp_flags as trace events print them (`show_gfp_flags`, the `%pGg` table of mmflags.h): symbolic
 * names joined by `|`, `none`, or raw hex where a path prints the mask itself (some 6.10-6.12
 * paths do). Both eras' tables are known; a name in neither is counted and the mask is unknown.
 */
import { GFP_NAMES, type GfpEra } from "@mm/api";

const tables = new Map<GfpEra, Map<string, number>>();

function table(era: GfpEra): Map<string, number> {
  let t = tables.get(era);
  if (t === undefined) {
    t = new Map();
    for (const f of GFP_NAMES[era]) t.set(f.name, f.mask);
    tables.set(era, t);
  }
  return t;
}

/** Parsed mask, or -1 when any name is unknown. Memoised per distinct text (traces repeat a few dozen). */
export class GfpParser {
  private readonly memo = new Map<string, number>();
  private readonly names: Map<string, number>;
  unknownNames = 0;

  constructor(readonly era: GfpEra = "6.1") {
    this.names = table(era);
  }

  parse(text: string): number {
    const m = this.memo.get(text);
    if (m !== undefined) {
      if (m < 0) this.unknownNames++;
      return m;
    }
    const v = this.parseUncached(text);
    if (this.memo.size < 4096) this.memo.set(text, v);
    if (v < 0) this.unknownNames++;
    return v;
  }

  private parseUncached(text: string): number {
    if (text === "none" || text === "0" || text === "") return 0;
    if (/^0x[0-9a-f]+$/i.test(text)) return parseInt(text, 16);
    let mask = 0;
    for (const name of text.split("|")) {
      if (/^0x[0-9a-f]+$/i.test(name)) {
        mask |= parseInt(name, 16); // leftover bits print as hex after the names
        continue;
      }
      const bits = this.names.get(name);
      if (bits === undefined) return -1;
      mask |= bits;
    }
    return mask >>> 0;
  }
}
