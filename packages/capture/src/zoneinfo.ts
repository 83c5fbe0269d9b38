/**
 * /proc/zoneinfo as mm/vmstat.c zoneinfo_show_print() prints it: per zone the free pages, boost,
 * watermarks, spanned/present/managed, protection (lowmem_reserve), per-cpu pageset counts and
 * start_pfn. Unknown counter lines are kept by name, so every era parses.
 */
import { MmError } from "@mm/api";

/** One zone of /proc/zoneinfo. */
export interface ZoneinfoZone {
  readonly node: number;
  readonly name: string;
  /** 1-based line of its `Node N, zone NAME` header. */
  readonly line: number;
  readonly free: number;
  readonly boost: number;
  readonly min: number;
  readonly low: number;
  readonly high: number;
  readonly spanned: number;
  readonly present: number;
  readonly managed: number;
  readonly cma: number;
  /** `protection: (...)`: lowmem_reserve[] of this zone. */
  readonly protection: readonly number[];
  /** Sum of the pagesets' `count:` (pages sitting on per-cpu lists); 0 for an unpopulated zone. */
  readonly pcpPages: number;
  /** `start_pfn:`; null for an unpopulated zone (not printed). */
  readonly startPfn: number | null;
  /** The zone's counters (`nr_free_pages`, `nr_zone_inactive_anon`, ...). */
  readonly counters: Readonly<Record<string, number>>;
}

const HEADER = /^Node (\d+), zone +(\S+)$/;
const FIELD = /^ {2,}(pages free|boost|min|low|high|promo|spanned|present|managed|cma) +(\d+)$/;
const PROT = /^ +protection: \(([-\d, ]*)\)$/;
const COUNTER = /^ {6}([a-z_0-9]+) +(\d+)$/;
const PCP_COUNT = /^ +count: +(\d+)$/;
const START = /^ +start_pfn: +(\d+)$/;

function bad(line: number, what: string): never {
  throw new MmError("PARSE_ERROR", `zoneinfo line ${line}: ${what}`, { file: "zoneinfo", line });
}

/** Parse /proc/zoneinfo. @throws MmError PARSE_ERROR (with the line) for text that is not zoneinfo. */
export function parseZoneinfo(text: string): ZoneinfoZone[] {
  const lines = text.split("\n");
  const zones: ZoneinfoZone[] = [];
  type Mut = { -readonly [K in keyof ZoneinfoZone]: ZoneinfoZone[K] } & { counters: Record<string, number>; seenFields: number };
  let cur: Mut | null = null;
  let inNodeStats = false;
  const close = (): void => {
    if (cur === null) return;
    if ((cur.seenFields & 0b1111) !== 0b1111 || cur.protection.length === 0) bad(cur.line, `zone ${cur.name} lacks its free/min/low/high or protection lines`);
    const { seenFields: _s, ...z } = cur;
    zones.push(z);
    cur = null;
  };
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i].replace(/\r$/, "");
    const n = i + 1;
    if (l.length === 0) continue;
    const h = HEADER.exec(l);
    if (h !== null) {
      close();
      cur = {
        node: Number(h[1]), name: h[2], line: n, free: 0, boost: 0, min: 0, low: 0, high: 0, spanned: 0, present: 0,
        managed: 0, cma: 0, protection: [], pcpPages: 0, startPfn: null, counters: {}, seenFields: 0,
      };
      inNodeStats = false;
      continue;
    }
    if (cur === null) bad(n, `expected a "Node N, zone NAME" line, got ${JSON.stringify(l.slice(0, 60))}`);
    if (l === "  per-node stats") {
      inNodeStats = true;
      continue;
    }
    const f = FIELD.exec(l);
    if (f !== null) {
      inNodeStats = false;
      const v = Number(f[2]);
      switch (f[1]) {
        case "pages free": cur.free = v; cur.seenFields |= 1; break;
        case "min": cur.min = v; cur.seenFields |= 2; break;
        case "low": cur.low = v; cur.seenFields |= 4; break;
        case "high": cur.high = v; cur.seenFields |= 8; break;
        case "boost": cur.boost = v; break;
        case "spanned": cur.spanned = v; break;
        case "present": cur.present = v; break;
        case "managed": cur.managed = v; break;
        case "cma": cur.cma = v; break;
        default: break; // promo (6.1+ NUMA balancing watermark): not modelled
      }
      continue;
    }
    const p = PROT.exec(l);
    if (p !== null) {
      cur.protection = p[1].split(",").map((s) => Number(s.trim()));
      if (cur.protection.some((x) => !Number.isInteger(x))) bad(n, "protection is not a list of integers");
      continue;
    }
    const c = COUNTER.exec(l);
    if (c !== null) {
      if (!inNodeStats) cur.counters[c[1]] = Number(c[2]);
      continue;
    }
    const pc = PCP_COUNT.exec(l);
    if (pc !== null) {
      cur.pcpPages += Number(pc[1]);
      continue;
    }
    const s = START.exec(l);
    if (s !== null) {
      cur.startPfn = Number(s[1]);
      continue;
    }
    // pagesets / cpu: / high: / batch: / vm stats threshold / node_unreclaimable: layout lines.
    if (/^ +(pagesets|cpu: \d+|high(_min|_max)?: +\d+|batch: +\d+|vm stats threshold: \d+|node_unreclaimable: +\d+)$/.test(l)) continue;
    bad(n, `unexpected line ${JSON.stringify(l.slice(0, 60))}`);
  }
  close();
  if (zones.length === 0) bad(1, "no zones");
  return zones;
}
