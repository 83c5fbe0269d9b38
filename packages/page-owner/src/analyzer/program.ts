// The `page_owner_sort` program: the kernel tool's command line (tools/mm/page_owner_sort.c
// main(), 6.1 or 6.7+/6.12 behaviour) plus our extensions (long options matched by exact name:
// --compat, --strict, --json, --stacks, --threshold, --top, --diff, --help-ext).
//
// Every command line the kernel tool accepts gets the kernel tool's answer (checked against both
// tools by test/analyzer/differential.test.ts): no --help (the tool has none), "-" is a file
// named "-" (read stdin as /dev/stdin), and a full block array ("max_size too small??") leaves
// the output file empty. Only the extension modes (--stacks/--top/--diff) read "-" as stdio.

import { closeSync, fstatSync, openSync, readSync, writeSync } from "node:fs";
import { resolve } from "node:path";
import type { PageOwnerRecord, ParseIssue } from "./api.js";
import {
  CMP_COMM,
  CMP_FREE_TS,
  CMP_NUM,
  CMP_PAGE_NUM,
  CMP_PID,
  CMP_STACKTRACE,
  CMP_TGID,
  CMP_TS,
  CULL_MEMCG,
  type CompatConfig,
  type CompatEra,
  defaultCompatConfig,
  explode,
  FILTER_COMM,
  FILTER_PID,
  FILTER_TGID,
  FILTER_UNRELEASE,
  parseCullArgs,
  parseNumsList,
  parseSortArgs,
  setSingleCmp,
  SORT_ASC,
  SORT_DESC,
} from "./compat/config.js";
import { CompatBlockReader } from "./compat/reader.js";
import { compatGroupJson, CompatSorter, formatCompatGroup, type CompatGroup } from "./compat/sorter.js";
import { EXTENSION_HELP, usageText } from "./compat/usage.js";
import { Getopt, type LongOption } from "./internal/getopt.js";
import { strerror } from "./internal/libc.js";
import { closeQuietly, fdStartsWithGzip } from "./internal/fd.js";
import type { PageOwnerParser } from "./record-parser.js";
import type { StackAccumulator } from "./stacks.js";

// Loaded on first use, so that the kernel tool's path (a regular file in, sorted text out) starts
// without streams, zlib, the typed parser and @mm/api: start-up is most of a small dump's run.
const loadSource = () => import("./source.js");
const loadParser = () => import("./record-parser.js");
const loadStacks = () => import("./stacks.js");

/** Where the program's bytes go; strings are written as UTF-8. */
export interface PageOwnerSortIo {
  readonly stdout: (data: string | Uint8Array) => void;
  readonly stderr: (data: string | Uint8Array) => void;
  /** Read when an input of an extension mode (--stacks, --top, --diff) is "-". */
  readonly stdin?: AsyncIterable<Uint8Array>;
  /** Only POSIXLY_CORRECT is consulted (getopt stops at the first non-option when it is set). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Directory relative file names are opened in (default: the process's). Messages keep the names as given. */
  readonly cwd?: string;
}

/** A command-line file name as open() should see it. */
function pathOf(io: PageOwnerSortIo, name: string): string {
  return io.cwd === undefined ? name : resolve(io.cwd, name);
}

/** The name getopt and our messages print (argv[0] of the reference runs). */
const PROG = "page_owner_sort";

/** getopt_long's `longopts` of the kernel tool (the same in 6.1 and 6.12; neither has --help). */
const LONGOPTS: readonly LongOption[] = [
  { name: "pid", hasArg: true, val: 1 },
  { name: "tgid", hasArg: true, val: 2 },
  { name: "name", hasArg: true, val: 3 },
  { name: "cull", hasArg: true, val: 4 },
  { name: "sort", hasArg: true, val: 5 },
];

/** Our options: matched only by exact name, so they never shadow a kernel abbreviation. */
const EXTENSIONS: readonly LongOption[] = [
  { name: "compat", hasArg: true, val: 0 },
  { name: "strict", hasArg: false, val: 0 },
  { name: "json", hasArg: false, val: 0 },
  { name: "stacks", hasArg: false, val: 0 },
  { name: "threshold", hasArg: true, val: 0 },
  { name: "top", hasArg: true, val: 0 },
  { name: "diff", hasArg: false, val: 0 },
  { name: "help-ext", hasArg: false, val: 0 },
  { name: "memcg", hasArg: false, val: 0 },
];

/** getopt short options: 6.7 removed -f and -r. */
const SHORTOPTS: Readonly<Record<CompatEra, string>> = { "6.1": "adfmnprstP", "6.12": "admnpstP" };

// 6.7+ main(): single-letter sort flags are collected, then exactly one is applied.
const COMP_NO_FLAG = 0;
const COMP_ALLOC = 1 << 0;
const COMP_PAGE_NUM = 1 << 1;
const COMP_PID = 1 << 2;
const COMP_STACK = 1 << 3;
const COMP_NUM = 1 << 4;
const COMP_TGID = 1 << 5;
const COMP_COMM = 1 << 6;

/** Extension settings. */
interface Ext {
  strict: boolean;
  json: boolean;
  mode: "sort" | "stacks" | "top" | "diff";
  threshold: number;
  top: number;
}

/** Bytes of a latin1 ("binary") string. */
function bin(s: string): Buffer {
  return Buffer.from(s, "latin1");
}

/** The latin1 form of a UTF-8 command-line string, to compare with dump bytes. */
function toBin(s: string): string {
  return Buffer.from(s, "utf8").toString("latin1");
}

/** latin1 text holding UTF-8 bytes -> a JS string. */
function fromBin(s: string): string {
  return /[\x80-\xff]/.test(s) ? Buffer.from(s, "latin1").toString("utf8") : s;
}

/** Buffered writes to an fd (or to io.stdout: an extension mode's "-"), through one fixed buffer. */
class Writer {
  private readonly buf = Buffer.allocUnsafeSlow(256 << 10);
  private size = 0;
  constructor(
    private readonly fd: number | null,
    private readonly io: PageOwnerSortIo,
  ) {}
  write(b: Buffer): void {
    if (this.size + b.length > this.buf.length) this.flush();
    if (b.length > this.buf.length) this.out(b);
    else this.size += b.copy(this.buf, this.size);
  }
  /** A latin1 string (one char per byte: the dump's own bytes), without an intermediate Buffer. */
  writeLatin1(s: string): void {
    if (this.size + s.length > this.buf.length) this.flush();
    if (s.length > this.buf.length) this.out(bin(s));
    else this.size += this.buf.write(s, this.size, "latin1");
  }
  flush(): void {
    if (this.size === 0) return;
    // stdout may keep the buffer (a stream queues it): give it a copy.
    this.out(this.fd === null ? Buffer.from(this.buf.subarray(0, this.size)) : this.buf.subarray(0, this.size));
    this.size = 0;
  }
  private out(all: Buffer): void {
    if (this.fd === null) this.io.stdout(all);
    else {
      let off = 0;
      while (off < all.length) off += writeSync(this.fd, all, off, all.length - off);
    }
  }
}

/** Pre-scan: the last --compat value (tokenised like getopt, so an option argument is skipped). */
function findCompat(argv: readonly string[]): string | null {
  const g = new Getopt(argv, PROG, "adfmnprstP", LONGOPTS, EXTENSIONS);
  let era: string | null = null;
  for (let r = g.next(); r.kind !== "end"; r = g.next()) {
    if (r.kind === "ext" && r.name === "compat") era = r.arg;
  }
  return era;
}

function nonNegInt(s: string | null): number | null {
  return s !== null && /^[0-9]{1,15}$/.test(s) ? Number(s) : null;
}

/**
 * Runs page_owner_sort with `argv` (without the program name).
 * @returns the exit status
 */
export async function runPageOwnerSort(argv: readonly string[], io: PageOwnerSortIo): Promise<number> {
  const compat = findCompat(argv) ?? "6.12";
  if (compat !== "6.1" && compat !== "6.12") {
    io.stderr(`${PROG}: invalid --compat value '${compat}' (expected 6.1 or 6.12)\n`);
    return 1;
  }
  const era: CompatEra = compat;
  const usage = (): void => io.stdout(usageText(era));
  const cfg = defaultCompatConfig(era);
  const ext: Ext = { strict: false, json: false, mode: "sort", threshold: 0, top: 0 };
  let compareFlag = COMP_NO_FLAG;
  const g = new Getopt(argv, PROG, SHORTOPTS[era], LONGOPTS, EXTENSIONS, io.env?.POSIXLY_CORRECT !== undefined);

  for (let r = g.next(); r.kind !== "end"; r = g.next()) {
    if (r.kind === "error") {
      io.stderr(r.message);
      usage();
      return 1;
    }
    if (r.kind === "ext") {
      const setMode = (m: Ext["mode"]): boolean => {
        if (ext.mode !== "sort" && ext.mode !== m) {
          io.stderr(`${PROG}: --stacks, --top and --diff are mutually exclusive\n`);
          return false;
        }
        ext.mode = m;
        return true;
      };
      switch (r.name) {
        case "compat":
          break;
        case "strict":
          ext.strict = true;
          break;
        case "json":
          ext.json = true;
          break;
        case "help-ext":
          io.stdout(EXTENSION_HELP);
          return 0;
        case "memcg":
          // A cull key like --cull's (the C tool's default sort for a cull applies below).
          cfg.cull |= CULL_MEMCG;
          break;
        case "stacks":
          if (!setMode("stacks")) return 1;
          break;
        case "diff":
          if (!setMode("diff")) return 1;
          break;
        case "top": {
          const n = nonNegInt(r.arg);
          if (n === null) {
            io.stderr(`${PROG}: invalid --top value '${r.arg}'\n`);
            return 1;
          }
          if (!setMode("top")) return 1;
          ext.top = n;
          break;
        }
        case "threshold": {
          const n = nonNegInt(r.arg);
          if (n === null) {
            io.stderr(`${PROG}: invalid --threshold value '${r.arg}'\n`);
            return 1;
          }
          ext.threshold = n;
          break;
        }
      }
      continue;
    }
    const arg = r.arg ?? "";
    switch (r.val) {
      case "a":
        if (era === "6.1") setSingleCmp(cfg, CMP_TS, SORT_ASC);
        else compareFlag |= COMP_ALLOC;
        break;
      case "d":
        cfg.debug = true;
        break;
      case "f":
        cfg.filter |= FILTER_UNRELEASE;
        break;
      case "m":
        if (era === "6.1") setSingleCmp(cfg, CMP_PAGE_NUM, SORT_DESC);
        else compareFlag |= COMP_PAGE_NUM;
        break;
      case "p":
        if (era === "6.1") setSingleCmp(cfg, CMP_PID, SORT_ASC);
        else compareFlag |= COMP_PID;
        break;
      case "r":
        setSingleCmp(cfg, CMP_FREE_TS, SORT_ASC);
        break;
      case "s":
        if (era === "6.1") setSingleCmp(cfg, CMP_STACKTRACE, SORT_ASC);
        else compareFlag |= COMP_STACK;
        break;
      case "t":
        if (era === "6.1") setSingleCmp(cfg, CMP_NUM, SORT_DESC);
        else compareFlag |= COMP_NUM;
        break;
      case "P":
        if (era === "6.1") setSingleCmp(cfg, CMP_TGID, SORT_ASC);
        else compareFlag |= COMP_TGID;
        break;
      case "n":
        if (era === "6.1") setSingleCmp(cfg, CMP_COMM, SORT_ASC);
        else compareFlag |= COMP_COMM;
        break;
      case 1: {
        cfg.filter |= FILTER_PID;
        const list = parseNumsList(arg);
        if (list === null) {
          io.stderr(`wrong/invalid pid in from the command line:${arg}\n`);
          return 1;
        }
        cfg.pids = list;
        break;
      }
      case 2: {
        cfg.filter |= FILTER_TGID;
        const list = parseNumsList(arg);
        if (list === null) {
          io.stderr(`wrong/invalid tgid in from the command line:${arg}\n`);
          return 1;
        }
        cfg.tgids = list;
        break;
      }
      case 3:
        cfg.filter |= FILTER_COMM;
        cfg.comms = explode(",", arg).map(toBin);
        break;
      case 4:
        if (!parseCullArgs(cfg, arg)) {
          io.stderr(`wrong argument after --cull option:${arg}\n`);
          return 1;
        }
        break;
      case 5:
        if (!parseSortArgs(cfg, arg)) {
          io.stderr(`wrong argument after --sort option:${arg}\n`);
          return 1;
        }
        break;
    }
  }

  // --cull's "sort by times when nothing else is set", for --memcg alone.
  if (cfg.cull & CULL_MEMCG && cfg.sortCmps.length === 0) setSingleCmp(cfg, CMP_NUM, SORT_DESC);
  const pos = g.positionals;
  if (ext.mode !== "sort") return runExtension(ext, cfg, pos, io);

  if (pos.length < 2) {
    usage();
    return 1;
  }
  if (era === "6.12") {
    // "Only one compare option is allowed": the default (no flag) is -t, and it replaces any
    // --sort list too (the reference run 17-sort-name-minus-pid shows --sort ignored).
    switch (compareFlag) {
      case COMP_ALLOC:
        setSingleCmp(cfg, CMP_TS, SORT_ASC);
        break;
      case COMP_PAGE_NUM:
        setSingleCmp(cfg, CMP_PAGE_NUM, SORT_DESC);
        break;
      case COMP_PID:
        setSingleCmp(cfg, CMP_PID, SORT_ASC);
        break;
      case COMP_TGID:
        setSingleCmp(cfg, CMP_TGID, SORT_ASC);
        break;
      case COMP_STACK:
        setSingleCmp(cfg, CMP_STACKTRACE, SORT_ASC);
        break;
      case COMP_NO_FLAG:
      case COMP_NUM:
        setSingleCmp(cfg, CMP_NUM, SORT_DESC);
        break;
      case COMP_COMM:
        setSingleCmp(cfg, CMP_COMM, SORT_ASC);
        break;
      default:
        usage();
        return 1;
    }
  }
  return runSort(cfg, ext, pos[0], pos[1], io);
}

/** fopen() both files first, as main() does: the output is created even if the input fails. */
function openBoth(
  input: string,
  output: string,
): { fin: number | null; fout: number | null; err: string | null } {
  let fin: number | null = null;
  let fout: number | null = null;
  let err: string | null = null;
  try {
    fin = openSync(input, "r");
  } catch (e) {
    err = errText(e);
  }
  try {
    fout = openSync(output, "w");
  } catch (e) {
    err = errText(e);
  }
  return { fin, fout, err };
}

function errText(e: unknown): string {
  const ne = e as NodeJS.ErrnoException;
  return strerror(ne.code, ne.message);
}

async function runSort(cfg: CompatConfig, ext: Ext, input: string, output: string, io: PageOwnerSortIo): Promise<number> {
  const { fin, fout, err } = openBoth(pathOf(io, input), pathOf(io, output));
  if (err !== null || fin === null || fout === null) {
    io.stdout(usageText(cfg.era));
    io.stderr(`open: : ${err ?? "No such file or directory"}\n`);
    if (fin !== null) closeQuietly(fin);
    if (fout !== null) closeQuietly(fout);
    return 1;
  }
  const out = (s: string): void => io.stdout(s);
  const st = fstatSync(fin);
  const gz = st.isFile() && startsGzip(fin);
  // The C tool sizes its array from st_size/100 ("max_size too small??"), so a pipe (st_size 0)
  // holds no block at all, as in C. A gzip file (our extension: the C tool reads it as garbage)
  // is not limited, its st_size says nothing about its blocks.
  const maxSize = gz ? Infinity : Math.floor(st.size / 100);
  const sorter = new CompatSorter(cfg, { stdout: out, stderr: (s) => io.stderr(bin(s)) }, maxSize);
  const reader = new CompatBlockReader((b, len, extBits, mayVm) => sorter.addBlock(b, len, extBits, mayVm));
  const issues = ext.strict ? await strictValidator(input, io) : null;
  let closed: Promise<void> = Promise.resolve();
  try {
    if (st.isDirectory()) {
      // fopen() of a directory succeeds and fgets() then fails: an empty input.
      closeQuietly(fin);
    } else if (st.isFile() && !gz && issues === null) {
      // The common case, synchronously: reads land in the reader's window, no stream, no chunks.
      try {
        reader.pull((buf, off, len) => readSync(fin, buf, off, len, null));
      } finally {
        closeQuietly(fin);
      }
    } else {
      const src = (await loadSource()).fdChunks(fin);
      closed = src.closed;
      for await (const chunk of src.chunks) {
        if (!reader.done) reader.push(chunk);
        if (issues !== null) issues.parser.push(chunk);
        else if (reader.done) break;
      }
    }
  } catch (e) {
    // fgets() returning NULL on a read error just ends the input in C; say why, then go on.
    io.stderr(`${PROG}: ${input}: ${(e as Error).message}\n`);
  }
  await closed;
  reader.end();
  issues?.parser.end();
  if (sorter.overflowed) {
    // add_list() failed: 6.1 exit(1)s there, 6.7+ returns 0 from main; neither writes a line.
    closeSync(fout);
    return cfg.era === "6.1" ? 1 : 0;
  }

  out(`loaded ${sorter.listSize}\n`);
  out("sorting ....\n");
  const groups = sorter.finish();
  out("culling\n");
  const w = new Writer(fout, io);
  if (ext.json) writeJson(w, cfg, sorter.listSize, groups);
  else for (const grp of groups) w.writeLatin1(formatCompatGroup(cfg, grp));
  w.flush();
  closeSync(fout);
  return issues !== null && issues.parser.issues > 0 ? 2 : 0;
}

function startsGzip(fd: number): boolean {
  try {
    return fdStartsWithGzip(fd);
  } catch {
    return false;
  }
}

function writeJson(w: Writer, cfg: CompatConfig, loaded: number, groups: readonly CompatGroup[]): void {
  w.write(Buffer.from(`{"tool":"page_owner_sort","compat":"${cfg.era}","loaded":${loaded},"groups":[`));
  groups.forEach((grp, i) => {
    const j = JSON.stringify(compatGroupJson(cfg, grp, fromBin));
    w.write(Buffer.from(`${i === 0 ? "" : ","}\n${j}`, "utf8"));
  });
  w.write(Buffer.from("\n]}\n"));
}

/** --strict: a typed parser over the same bytes, printing each issue with its line number. */
async function strictValidator(input: string, io: PageOwnerSortIo): Promise<{ parser: PageOwnerParser }> {
  const { PageOwnerParser } = await loadParser();
  const name = input === "-" ? "<stdin>" : input;
  const parser = new PageOwnerParser(() => {}, {
    onIssue: (i: ParseIssue) => io.stderr(`${PROG}: ${name}:${i.line}: ${i.code}: ${i.message}\n`),
  });
  return { parser };
}

/** The record filter --pid/--tgid/--name apply to the extension modes. */
function recordFilter(cfg: CompatConfig): (r: PageOwnerRecord) => boolean {
  const comms = cfg.comms.map(fromBin);
  return (r) => {
    if (cfg.filter & FILTER_PID && !cfg.pids.includes(r.pid ?? -1)) return false;
    if (cfg.filter & FILTER_TGID && !cfg.tgids.includes(r.tgid ?? -1)) return false;
    if (cfg.filter & FILTER_COMM && !comms.includes(r.comm ?? "")) return false;
    return true;
  };
}

/** Reads one dump into a stack accumulator, reporting issues. */
async function accumulate(
  input: string,
  io: PageOwnerSortIo,
  strict: boolean,
  keep: (r: PageOwnerRecord) => boolean,
): Promise<{ acc: StackAccumulator; issues: number } | string> {
  const [{ PageOwnerParser }, { fdChunks, streamChunks }, { StackAccumulator }] = await Promise.all([loadParser(), loadSource(), loadStacks()]);
  const acc = new StackAccumulator();
  const name = input === "-" ? "<stdin>" : input;
  const parser = new PageOwnerParser(
    (r, framesText) => {
      if (keep(r)) acc.addFramesText(framesText, r.order);
    },
    strict ? { onIssue: (i) => io.stderr(`${PROG}: ${name}:${i.line}: ${i.code}: ${i.message}\n`) } : {},
    true,
  );
  let closed: Promise<void> = Promise.resolve();
  try {
    let chunks: AsyncIterable<Buffer>;
    if (input === "-") {
      if (io.stdin === undefined) return `${PROG}: ${name}: no stdin\n`;
      chunks = streamChunks(io.stdin);
    } else {
      const fd = openSync(pathOf(io, input), "r");
      if (fstatSync(fd).isDirectory()) {
        closeQuietly(fd);
        return `${PROG}: ${input}: Is a directory\n`;
      }
      ({ chunks, closed } = fdChunks(fd));
    }
    for await (const chunk of chunks) parser.push(chunk);
    parser.end();
  } catch (e) {
    return `${PROG}: ${name}: ${errText(e)}\n`;
  } finally {
    await closed;
  }
  if (!strict && parser.issues > 0) {
    io.stderr(`${PROG}: ${name}: skipped ${parser.issues} malformed part(s) of the input (--strict lists them)\n`);
  }
  return { acc, issues: parser.issues };
}

async function runExtension(ext: Ext, cfg: CompatConfig, pos: readonly string[], io: PageOwnerSortIo): Promise<number> {
  const need = ext.mode === "diff" ? 2 : 1;
  if (pos.length < need) {
    io.stderr(
      ext.mode === "diff"
        ? `${PROG}: usage: ${PROG} --diff [options] <before> <after> [<output>]\n`
        : `${PROG}: usage: ${PROG} --${ext.mode === "top" ? "top=N" : "stacks"} [options] <input> [<output>]\n`,
    );
    return 1;
  }
  const keep = recordFilter(cfg);
  const inputs = pos.slice(0, need);
  const output = pos[need] ?? "-";
  const accs: StackAccumulator[] = [];
  let issues = 0;
  for (const input of inputs) {
    const r = await accumulate(input, io, ext.strict, keep);
    if (typeof r === "string") {
      io.stderr(r);
      return 1;
    }
    accs.push(r.acc);
    issues += r.issues;
  }
  let fout: number | null = null;
  if (output !== "-") {
    try {
      fout = openSync(pathOf(io, output), "w");
    } catch (e) {
      io.stderr(`${PROG}: ${output}: ${errText(e)}\n`);
      return 1;
    }
  }
  const w = new Writer(fout, io);
  const { diffStacks, formatShowStacks, formatStackDiff, formatTopStacks, topStacks } = await loadStacks();
  let text: string;
  if (ext.mode === "stacks") {
    const s = accs[0].summaries(ext.threshold);
    text = ext.json ? `${JSON.stringify(s)}\n` : formatShowStacks(s);
  } else if (ext.mode === "top") {
    const t = topStacks(accs[0], ext.top, ext.threshold);
    text = ext.json ? `${JSON.stringify(t)}\n` : formatTopStacks(t);
  } else {
    const d = diffStacks(accs[0], accs[1]);
    text = ext.json ? `${JSON.stringify(d)}\n` : formatStackDiff(d);
  }
  w.write(Buffer.from(text, "utf8"));
  w.flush();
  if (fout !== null) closeSync(fout);
  return ext.strict && issues > 0 ? 2 : 0;
}
