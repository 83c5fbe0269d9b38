/**
 * /proc/buddyinfo and /proc/pagetypeinfo text: formatters byte-exact to mm/vmstat.c
 * (frag_show_print, pagetypeinfo_showfree_print, pagetypeinfo_showblockcount_print) and
 * mm/page_owner.c (pagetypeinfo_showmixedcount_print), and strict parsers that round-trip.
 */
import { MmError } from "@mm/api";

/** One /proc/buddyinfo line: free blocks per order of a zone. */
export interface BuddyinfoRow {
  readonly node: number;
  readonly zone: string;
  /** free_area[order].nr_free for order 0..max. */
  readonly counts: readonly number[];
}

/** One "type" row of /proc/pagetypeinfo's free-count table. */
export interface PagetypeinfoFreeRow {
  readonly node: number;
  readonly zone: string;
  readonly type: string;
  /** List lengths per order, capped at PAGETYPEINFO_CAP. */
  readonly counts: readonly number[];
  /** True where the walk hit the cap (printed with a ">" prefix). */
  readonly overflow: readonly boolean[];
}

/** One zone row of the "Number of blocks type" / "Number of mixed blocks" tables. */
export interface PagetypeinfoBlockRow {
  readonly node: number;
  readonly zone: string;
  /** Per printed migratetype, in `types` order. */
  readonly counts: readonly number[];
}

/** The whole /proc/pagetypeinfo of one node. */
export interface Pagetypeinfo {
  readonly pageblockOrder: number;
  readonly pagesPerBlock: number;
  /** Number of order columns (MAX_ORDER + 1). */
  readonly nrOrders: number;
  readonly free: readonly PagetypeinfoFreeRow[];
  /** Printed migratetype names, in enum order. */
  readonly types: readonly string[];
  readonly blocks: readonly PagetypeinfoBlockRow[];
  /** Present only when page_owner is enabled. */
  readonly mixed?: readonly PagetypeinfoBlockRow[] | undefined;
}

/** pagetypeinfo_showfree_print stops counting a list at this length and prints ">100000". */
export const PAGETYPEINFO_CAP = 100000;

const pad = (s: string | number, w: number): string => String(s).padStart(w);

/** frag_show_print: `Node %d, zone %8s ` then `%6lu ` per order. */
export function formatBuddyinfoRow(r: BuddyinfoRow): string {
  let s = `Node ${r.node}, zone ${pad(r.zone, 8)} `;
  for (const c of r.counts) s += `${pad(c, 6)} `;
  return `${s}\n`;
}

/** /proc/buddyinfo: one line per populated zone. */
export function formatBuddyinfo(rows: readonly BuddyinfoRow[]): string {
  let s = "";
  for (const r of rows) s += formatBuddyinfoRow(r);
  return s;
}

function parseError(line: number, msg: string): MmError {
  return new MmError("PARSE_ERROR", `line ${line}: ${msg}`, { line });
}

function splitLines(text: string, what: string): string[] {
  if (text.length === 0) return [];
  if (!text.endsWith("\n")) throw parseError(text.split("\n").length, `${what} must end with a newline`);
  return text.slice(0, -1).split("\n");
}

/** Parse /proc/buddyinfo. Throws PARSE_ERROR on anything the kernel would not print. */
export function parseBuddyinfo(text: string): BuddyinfoRow[] {
  const rows: BuddyinfoRow[] = [];
  const lines = splitLines(text, "buddyinfo");
  let nrOrders = -1;
  lines.forEach((line, i) => {
    const m = /^Node (\d+), zone +(\S+) ((?: *\d+ )+)$/.exec(line);
    if (m === null) throw parseError(i + 1, `not a buddyinfo line: ${JSON.stringify(line)}`);
    const counts = m[3].trim().split(/ +/).map(Number);
    if (nrOrders >= 0 && counts.length !== nrOrders) throw parseError(i + 1, "order count differs between lines");
    nrOrders = counts.length;
    const row: BuddyinfoRow = { node: Number(m[1]), zone: m[2], counts };
    if (formatBuddyinfoRow(row) !== `${line}\n`) throw parseError(i + 1, "spacing differs from the kernel's format");
    rows.push(row);
  });
  return rows;
}

const FREE_HEADER = "Free pages count per migrate type at order";

function formatFreeHeader(nrOrders: number): string {
  let s = `${FREE_HEADER.padEnd(43)} `;
  for (let o = 0; o < nrOrders; o++) s += `${pad(o, 6)} `;
  return `${s}\n`;
}

function formatFreeRow(r: PagetypeinfoFreeRow): string {
  let s = `Node ${pad(r.node, 4)}, zone ${pad(r.zone, 8)}, type ${pad(r.type, 12)} `;
  for (let o = 0; o < r.counts.length; o++) s += `${r.overflow[o] ? ">" : ""}${pad(r.counts[o], 6)} `;
  return `${s}\n`;
}

function formatTypesHeader(title: string, types: readonly string[]): string {
  let s = `\n${title.padEnd(23)}`;
  for (const t of types) s += `${pad(t, 12)} `;
  return `${s}\n`;
}

function formatBlockRow(r: PagetypeinfoBlockRow): string {
  let s = `Node ${r.node}, zone ${pad(r.zone, 8)} `;
  for (const c of r.counts) s += `${pad(c, 12)} `;
  return `${s}\n`;
}

/** /proc/pagetypeinfo of one node (pagetypeinfo_show). */
export function formatPagetypeinfo(p: Pagetypeinfo): string {
  let s = `Page block order: ${p.pageblockOrder}\nPages per block:  ${p.pagesPerBlock}\n\n`;
  s += formatFreeHeader(p.nrOrders);
  for (const r of p.free) s += formatFreeRow(r);
  s += formatTypesHeader("Number of blocks type ", p.types);
  for (const r of p.blocks) s += formatBlockRow(r);
  if (p.mixed !== undefined) {
    s += formatTypesHeader("Number of mixed blocks ", p.types);
    for (const r of p.mixed) s += formatBlockRow(r);
  }
  return s;
}

/** Parse /proc/pagetypeinfo (one node). Throws PARSE_ERROR on anything the kernel would not print. */
export function parsePagetypeinfo(text: string): Pagetypeinfo {
  const lines = splitLines(text, "pagetypeinfo");
  let i = 0;
  const expect = (re: RegExp, what: string): RegExpExecArray => {
    const m = i < lines.length ? re.exec(lines[i]) : null;
    if (m === null) throw parseError(i + 1, `expected ${what}, got ${JSON.stringify(lines[i] ?? "<end>")}`);
    i++;
    return m;
  };
  const pageblockOrder = Number(expect(/^Page block order: (\d+)$/, "the page block order")[1]);
  const pagesPerBlock = Number(expect(/^Pages per block: {2}(\d+)$/, "pages per block")[1]);
  expect(/^$/, "an empty line");
  const hdr = expect(/^Free pages count per migrate type at order ((?: *\d+ )+)$/, "the free pages header");
  const nrOrders = hdr[1].trim().split(/ +/).length;
  if (formatFreeHeader(nrOrders) !== `${lines[i - 1]}\n`) throw parseError(i, "free pages header spacing");
  const free: PagetypeinfoFreeRow[] = [];
  while (i < lines.length && lines[i] !== "") {
    const m = expect(/^Node +(\d+), zone +(\S+), type +(\S+) ((?: *>? *\d+ )+)$/, "a free count row");
    const cells = m[4].trim().split(/ +/);
    // ">100000" has no space between the marker and the number.
    const overflow = cells.map((c) => c.startsWith(">"));
    const counts = cells.map((c) => Number(c.replace(">", "")));
    if (counts.length !== nrOrders) throw parseError(i, "order count differs from the header");
    const row: PagetypeinfoFreeRow = { node: Number(m[1]), zone: m[2], type: m[3], counts, overflow };
    if (formatFreeRow(row) !== `${lines[i - 1]}\n`) throw parseError(i, "free row spacing");
    free.push(row);
  }
  const table = (title: string): { types: string[]; rows: PagetypeinfoBlockRow[] } => {
    expect(/^$/, "an empty line");
    const h = expect(new RegExp(`^${title} +((?:\\S+ +)*\\S+ )$`), `"${title}"`);
    const types = h[1].trim().split(/ +/);
    if (formatTypesHeader(`${title} `, types) !== `\n${lines[i - 1]}\n`) throw parseError(i, `${title} header spacing`);
    const rows: PagetypeinfoBlockRow[] = [];
    while (i < lines.length && lines[i] !== "") {
      const m = expect(/^Node (\d+), zone +(\S+) ((?: *\d+ )+)$/, "a block count row");
      const counts = m[3].trim().split(/ +/).map(Number);
      if (counts.length !== types.length) throw parseError(i, "column count differs from the header");
      const row: PagetypeinfoBlockRow = { node: Number(m[1]), zone: m[2], counts };
      if (formatBlockRow(row) !== `${lines[i - 1]}\n`) throw parseError(i, "block row spacing");
      rows.push(row);
    }
    return { types, rows };
  };
  const blocks = table("Number of blocks type");
  let mixed: PagetypeinfoBlockRow[] | undefined;
  if (i < lines.length) {
    const mx = table("Number of mixed blocks");
    if (mx.types.join(" ") !== blocks.types.join(" ")) throw parseError(i, "mixed table types differ");
    mixed = mx.rows;
  }
  if (i !== lines.length) throw parseError(i + 1, "trailing text");
  return { pageblockOrder, pagesPerBlock, nrOrders, free, types: blocks.types, blocks: blocks.rows, mixed };
}
