// Seeded inputs and command lines for the differential test against the kernel's page_owner_sort.
//
// Inputs are real records of the 6.1 capture (and the same records in the 6.12 layout), mutated
// the ways broken dumps are: truncation, CRLF, NULs, huge blocks, missing fields, unknown and
// newer trailer lines, PFN lines moved or dropped, numbers out of range, blank lines inside a
// record. Command lines use every option of both tools, clusters, abbreviations, bad values,
// missing arguments and files, "-", "--" and POSIXLY_CORRECT.
//
// The C tool has undefined behaviour on some inputs (a digit run of 25+ overflows a char[25]; a
// command name of 16+ bytes overflows malloc(16); "__vmalloc_node_range" in a block's first two
// lines makes get_allocator() walk before the buffer). Its answer there is not a property of the
// tool but of the heap, so the generator rejects such inputs (see cViewIsDefined) instead of
// comparing with them. Every other input is fair game.

/** A small deterministic PRNG (mulberry32): same seed, same cases. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** Records of a dump, each with its trailing "\n\n" (latin1 text). */
export function splitRecords(text: string): string[] {
  const out: string[] = [];
  let at = 0;
  for (;;) {
    const e = text.indexOf("\n\n", at);
    if (e === -1) break;
    out.push(text.slice(at, e + 2));
    at = e + 2;
  }
  return out;
}

/** A 6.1 record in the 6.12 layout: no free_ts, hex PFN. */
export function to612(rec: string): string {
  return rec.replace(/, free_ts [0-9]+ ns\n/, "\n").replace(/\nPFN ([0-9]+) /, (_m, pfn: string) => `\nPFN 0x${Number(pfn).toString(16)} `);
}

/** The bytes the C tool's regexes see: a NUL ends its line and the next line joins on (fgets + strlen). */
function cView(text: string): string {
  return text.replace(/\0[^\n]*\n?/g, "");
}

const COMM_RE = /tgid[ \t\n\r\f\v]*[0-9]*[ \t\n\r\f\v]*\(([^\n]*)\),[ \t\n\r\f\v]*ts/;

/** False when the C tool would hit undefined behaviour on this input (see the header). */
export function cViewIsDefined(text: string): boolean {
  const v = cView(text);
  if (/[0-9]{25}/.test(v)) return false;
  for (const line of v.split("\n")) {
    const m = COMM_RE.exec(line);
    if (m !== null && m[1].length > 15) return false;
  }
  // get_allocator() needs two newlines of the block before "__vmalloc_node_range".
  let at = v.indexOf("__vmalloc_node_range");
  while (at !== -1) {
    const lineStart = v.lastIndexOf("\n", at) + 1;
    const prev = v.slice(0, lineStart).split("\n").slice(-3, -1);
    if (prev.length < 2 || prev.some((l) => l === "" || l.startsWith("PFN"))) return false;
    at = v.indexOf("__vmalloc_node_range", at + 1);
  }
  return true;
}

const TRAILERS = [
  "Slab cache page\n",
  "Charged (via objcg) to memcg system.slice\n",
  "Charged to memcg init.scope\n",
  "page last migrate reason: compaction\n",
  "an unknown trailer line\n",
  "PFN 0x1234 type Movable Block 2 type Movable Flags 0x0()\n",
];
const COMMS = ["bash", "a b", "x(y)", "ts", "", "kworker/0:1H", "sh ts 1 ns", "(", "memhog,2", "123456789012345"];

/** One record, mutated (or not). */
export function mutateRecord(rng: Rng, rec: string): string {
  const lines = rec.slice(0, -1).split("\n"); // lines[last] === "" (the record's own newline)
  const body = lines.slice(0, -1);
  const join = (ls: string[]): string => `${ls.join("\n")}\n\n`;
  switch (rng.int(22)) {
    case 0:
      return rec.slice(0, rng.int(rec.length)); // truncated: joins the next record
    case 1:
      return rec.replace(/\n/g, "\r\n");
    case 2: {
      const i = rng.int(rec.length - 2);
      return rec.slice(0, i) + "\0" + rec.slice(i);
    }
    case 3: {
      // A huge block: more than BUF_SIZE (128 KiB) of stack, which ends the C tool's reading.
      const frames = body.slice(2).join("\n");
      return join([...body, ...Array<string>(Math.ceil(140_000 / (frames.length + 1))).fill(frames)]);
    }
    case 4:
      return rec.replace(rng.pick([/pid [0-9]+, /, /tgid [0-9]+ /, /, ts [0-9]+ ns/, /\([^)]*\)/, /order [0-9]+, /, /, free_ts [0-9]+ ns/]), "");
    case 5:
      return join([...body, rng.pick(TRAILERS)]);
    case 6:
      return join([...body, ...TRAILERS.slice(0, 3).map((t) => t.slice(0, -1))]);
    case 7:
      return join(body.filter((l) => !l.startsWith("PFN"))); // inherits the previous PFN line
    case 8: {
      const pfn = body.findIndex((l) => l.startsWith("PFN"));
      if (pfn === -1) return rec;
      const [p] = body.splice(pfn, 1);
      body.splice(1 + rng.int(body.length), 0, rng.chance(0.5) ? p : `PFNx${p.slice(3)}`);
      return join(body);
    }
    case 9: {
      const i = 1 + rng.int(body.length - 1);
      return `${body.slice(0, i).join("\n")}\n\n${body.slice(i).join("\n")}\n\n`; // split in two
    }
    case 10: {
      const i = rng.int(body.length);
      body.splice(i, 0, body[i]);
      return join(body);
    }
    case 11:
      return rec.replace(/pid [0-9]+,/, `pid ${rng.pick(["0", "2147483647", "2147483648", "4294967297", "999999999999999999999999", ""])},`);
    case 12:
      return rec.replace(/ts [0-9]+ ns/, `ts ${rng.pick(["0", "18446744073709551615", "18446744073709551616", "99999999999999999999", "1"])} ns`);
    case 13:
      return rec.replace(/order [0-9]+,/, `order ${rng.pick(["0", "1", "9", "10", "30", "31", "32", "40", "63", "64", "65", "100"])},`);
    case 14:
      return rec.replace(/\(([^)]*)\), ts/, `(${rng.pick(COMMS)}), ts`);
    case 15:
      return rec.replace(/tgid [0-9]+ /, `tgid ${rng.pick(["0", "7", "2147483648", "12a"])} `);
    case 16: {
      // A vmalloc stack: alloc_pages on the line before __vmalloc_node_range (or not).
      const at = Math.min(body.length, 3 + rng.int(3));
      const pre = rng.chance(0.7) ? " __alloc_pages_bulk+0x1/0x2" : " some_function+0x1/0x2";
      body.splice(at, 0, pre, " __vmalloc_node_range+0x3c0/0x7e0");
      return join(body);
    }
    case 17:
      return rec.replace(/free_ts [0-9]+ ns/, `free_ts ${rng.pick(["0", "1", "999999999999", "18446744073709551615"])} ns`);
    case 18:
      return rec.replace(/\n\n$/, "\n \n\n"); // a line holding a space is not blank
    case 19:
      return rec.replace(/, mask 0x[0-9a-f]+\([^)]*\)/, rng.pick(["", ", mask 0xcc0(GFP_KERNEL|__GFP_COMP)", ", mask 0x0(slab)", ", mask 0x0(CMA)"]));
    case 20:
      return rec.replace(/type (Unmovable|Movable|Reclaimable)/, rng.pick(["type CMA", "type HighAtomic", "type slab"]));
    default:
      return rec;
  }
}

/** A mutated dump of n records drawn from `pool`, rejected and redrawn while the C tool's behaviour on it is undefined. */
export function mutatedDump(rng: Rng, pool: readonly string[], n: number, pMutate: number): string {
  const parts: string[] = [];
  while (parts.length < n) {
    const rec = rng.pick(pool);
    const m = rng.chance(pMutate) ? mutateRecord(rng, rec) : rec;
    // Checked with the records before it back to a whole one: truncated records join onto this.
    let k = parts.length;
    while (k > 0 && !parts[k - 1].endsWith("\n\n")) k--;
    if (cViewIsDefined(parts.slice(Math.max(0, k - 1)).join("") + m)) parts.push(m);
  }
  return parts.join("");
}

/** The input files every run's directory starts with (name -> latin1 content). */
export function makeInputs(rng: Rng, fixture: string, nMutated: number): Map<string, string> {
  const recs = splitRecords(fixture);
  // Real variety: the capture's records are in PFN order, so sample across all of it.
  const pool = recs.filter((_r, i) => i % 7 === 0 || i < 200);
  const pool612 = pool.map(to612);
  const files = new Map<string, string>();
  files.set("small.txt", recs.slice(0, 300).join(""));
  for (let i = 0; i < nMutated; i++) {
    const src = i % 3 === 2 ? pool612 : pool;
    files.set(`m${i}.txt`, mutatedDump(rng, src, 10 + rng.int(60), i % 4 === 0 ? 0.15 : 0.6));
  }
  files.set("-", mutatedDump(rng, pool, 40, 0.3));
  files.set("empty.txt", "");
  files.set("blanks.txt", "\n\n\n\n");
  files.set("noblank.txt", recs.slice(0, 5).join("").replace(/\n\n$/, "\n"));
  // Capacity: st_size / 100 blocks. Short distinct blocks overflow it (6.1 merges identical
  // neighbours before the check, so they must differ).
  const tiny = Array.from({ length: 300 }, (_v, i) => `b${i}\n\n`).join("");
  files.set("tiny.txt", recs.slice(0, 8).join("") + tiny);
  files.set("tinyfirst.txt", tiny + recs.slice(0, 8).join(""));
  files.set("dupes.txt", Array<string>(200).fill("same\n\n").join("") + recs.slice(0, 3).join(""));
  return files;
}

/** One generated run: argv after the program name, and whether POSIXLY_CORRECT is set. */
export interface Case {
  readonly argv: string[];
  readonly posix: boolean;
}

const PIDS = ["1", "1,2", "0", "-1", "abc", "", "1,", ",1", " 1", "99999999999", "2147483648", "1x", "+5", "4294967297", "2,1,1"];
const NAMES = ["swapper/0", "kthreadd,swapper/0", "", "bash", ",", "memhog", "kworker/0:1H", "a b", "x(y)", "ts"];
const CULL_KEYS = ["pid", "p", "tgid", "tg", "name", "n", "st", "stacktrace", "allocator", "ator", "free", "f", "txt", "T", "bogus", "", "comm"];
const SORT_KEYS = ["pid", "p", "tgid", "tg", "name", "n", "st", "stacktrace", "txt", "T", "at", "alloc_ts", "ator", "allocator", "ft", "free_ts", "bogus", "", "num"];

function list(rng: Rng, keys: readonly string[], signs: boolean): string {
  const n = 1 + rng.int(3);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((signs ? rng.pick(["", "", "-", "+"]) : "") + rng.pick(keys));
  return out.join(",");
}

/** A long option with its argument, in one of getopt's spellings (abbreviations included). */
function longOpt(rng: Rng, names: readonly string[], value: string): string[] {
  const name = rng.pick(names);
  return rng.chance(0.6) ? [`--${name}=${value}`] : [`--${name}`, value];
}

function option(rng: Rng): string[] {
  switch (rng.int(16)) {
    case 0:
    case 1:
      return [`-${rng.pick(["a", "d", "f", "m", "n", "p", "r", "s", "t", "P"])}`];
    case 2:
      return [`-${Array.from({ length: 2 + rng.int(2) }, () => rng.pick(["a", "d", "m", "n", "p", "s", "t", "P", "f", "r", "x"])).join("")}`];
    case 3:
      return [rng.pick(["-x", "-h", "-?", "-:", "-D"])];
    case 4:
      return longOpt(rng, ["pid", "pi", "p"], rng.pick(PIDS));
    case 5:
      return longOpt(rng, ["tgid", "tg", "t"], rng.pick(PIDS));
    case 6:
      return longOpt(rng, ["name", "na", "n"], rng.pick(NAMES));
    case 7:
    case 8:
    case 9:
      return longOpt(rng, ["cull", "cu", "c"], list(rng, CULL_KEYS, false));
    case 10:
    case 11:
      return longOpt(rng, ["sort", "so", "s"], list(rng, SORT_KEYS, true));
    case 12:
      return [rng.pick(["--help", "--h", "--he", "--hel", "--help=1", "--foo", "--=x", "--", "--cul", "--sor=pid", "--pidx=1"])];
    case 13:
      return [rng.pick(["--pid", "--cull", "--sort", "--name", "--tgid"])]; // may end up without its argument
    default:
      return [rng.pick(["-m", "-t", "-s", "-p", "-n", "-a"])];
  }
}

const OUTPUTS = ["out.txt", "out.txt", "out.txt", "-", "adir", "nodir/out.txt", "out2.txt"];

/** One random command line over the given input names. */
export function makeCase(rng: Rng, inputs: readonly string[]): Case {
  const opts: string[][] = [];
  const nOpts = rng.int(5);
  for (let i = 0; i < nOpts; i++) opts.push(option(rng));
  const input = rng.chance(0.04) ? rng.pick(["nope.txt", "adir", "-"]) : rng.pick(inputs);
  const output = rng.chance(0.02) ? input : rng.pick(OUTPUTS);
  let pos = [input, output];
  const shape = rng.int(20);
  if (shape === 0) pos = [input];
  else if (shape === 1) pos = [];
  else if (shape === 2) pos = [input, output, "extra.txt"];
  const argv: string[] = [];
  // Positionals anywhere among the options (getopt permutes them), "--" sometimes before them.
  const slots = opts.length + 1;
  const at = pos.map(() => rng.int(slots)).sort((a, b) => a - b);
  let k = 0;
  for (let s = 0; s < slots; s++) {
    while (k < pos.length && at[k] === s) {
      if (k === 0 && rng.chance(0.05)) argv.push("--");
      argv.push(pos[k++]);
    }
    if (s < opts.length) argv.push(...opts[s]);
  }
  return { argv, posix: rng.chance(0.05) };
}
