/**
 * The page_owner_stacks, page_owner_diff and allocinfo_sort tools: through their run functions
 * with captured io, and each bin once as a process (from its TypeScript source).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { Readable } from "node:stream";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { generatePageOwnerDump, runAllocinfoSort, runPageOwnerDiff, runPageOwnerStacks, type ToolIo } from "@mm/page-owner";
import { describe, expect, it } from "vitest";
import { allocinfoShow, randomStacks, randomTags, stackPrint } from "./kernel-print.js";

const dir = mkdtempSync(join(tmpdir(), "po-formats-"));
const file = (name: string, data: string | Buffer): string => {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
};

async function run(
  tool: (argv: readonly string[], io: ToolIo) => Promise<number>,
  argv: string[],
  stdin?: string,
): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const dec = (d: string | Uint8Array): string => (typeof d === "string" ? d : Buffer.from(d).toString("latin1"));
  const io: ToolIo = {
    stdout: (d) => void (stdout += dec(d)),
    stderr: (d) => void (stderr += dec(d)),
    ...(stdin === undefined ? {} : { stdin: Readable.from([Buffer.from(stdin, "latin1")]) }),
  };
  const status = await tool(argv, io);
  return { status, stdout, stderr };
}

const list = randomStacks(120, 21);
const handles = file("show_handles", stackPrint(list, "show_handles"));
const stacksHandles = file("show_stacks_handles", stackPrint(list, "show_stacks_handles"));
const showStacks = stackPrint(list, "show_stacks");

describe("page_owner_stacks", () => {
  it("joins show_handles to show_stacks_handles: --sort=list gives show_stacks byte for byte", async () => {
    const r = await run(runPageOwnerStacks, ["--sort=list", `--stacks=${stacksHandles}`, handles]);
    expect(r.status).toBe(0);
    const [body, total] = [r.stdout.slice(0, r.stdout.lastIndexOf("total:")), r.stdout.slice(r.stdout.lastIndexOf("total:"))];
    expect(body).toBe(showStacks);
    const printed = list.filter((s) => s.count >= 1);
    expect(total).toBe(`total: ${printed.reduce((a, s) => a + s.count, 0)} pages in ${printed.length} stacks (show_handles); ${printed.length} shown, 0 without frames\n`);
  });

  it("--top, --threshold, --handles, stdin, and gzip input", async () => {
    const gz = file("show_stacks.gz", gzipSync(showStacks));
    const r = await run(runPageOwnerStacks, ["--top=3", "--threshold=10", gz]);
    const counts = [...r.stdout.matchAll(/^nr_base_pages: (\d+)$/gm)].map((m) => Number(m[1]));
    const want = list.map((s) => s.count).filter((c) => c >= 10).sort((a, b) => b - a).slice(0, 3);
    expect(counts).toEqual(want);
    const h = await run(runPageOwnerStacks, ["--handles", "-"], stackPrint(list, "show_handles"));
    expect(h.stdout).toMatch(/^handle: -?\d+\nnr_base_pages: \d+\n\n/);
  });

  it("bad input: one line on stderr, exit 2", async () => {
    const cases: [string[], RegExp][] = [
      [["--sort=size", handles], /^page_owner_stacks: EINVAL: --sort must be one of pages, handle, list/],
      [["--bogus", handles], /^page_owner_stacks: EINVAL: Unknown option '--bogus'/],
      [[join(dir, "missing")], /^page_owner_stacks: EINVAL: cannot open .*missing: ENOENT/],
      [[file("bad", "handle: 1\nnr_base_pages: x\n\n")], /^page_owner_stacks: PARSE_ERROR: line 2: BAD_NUMBER/],
      [[`--stacks=${handles}`, handles], /^page_owner_stacks: BAD_CONFIG: --stacks wants a show_stacks_handles read/],
      [[], /^page_owner_stacks: EINVAL: expected one input file, got 0/],
    ];
    for (const [argv, msg] of cases) {
      const r = await run(runPageOwnerStacks, argv);
      expect(r.status, argv.join(" ")).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.split("\n")).toHaveLength(2);
      expect(r.stdout).toBe("");
    }
  });
});

describe("page_owner_diff", () => {
  it("two dumps (one gzipped, one on stdin) per stack; deterministic", async () => {
    const a = [...generatePageOwnerDump({ seed: 1, bytes: 200_000, stacks: 60 })].join("");
    const b = [...generatePageOwnerDump({ seed: 2, bytes: 250_000, stacks: 60 })].join("");
    const pa = file("a.txt.gz", gzipSync(a));
    const r1 = await run(runPageOwnerDiff, [pa, "-"], b);
    const r2 = await run(runPageOwnerDiff, [pa, file("b.txt", b)]);
    expect(r1.status).toBe(0);
    expect(r1.stdout.replace(/compared: .*\n$/, "")).toBe(r2.stdout.replace(/compared: .*\n$/, ""));
    expect(r2.stdout).toMatch(/^[+-]\d+ pages \(\d+ -> \d+\)\n get_page_from_freelist/);
    expect(r2.stdout).toMatch(/\ntotal: [+-]\d+ pages \(\d+ -> \d+\); \d+ grew by \d+ pages \(\d+ new\), \d+ shrank by \d+ pages \(\d+ gone\), \d+ unchanged\ncompared: .*\(page_owner\) -> .*\(page_owner\) by stack, \d+ keys\n$/);
  });

  it("two show_handles reads, by handle with frames from --stacks", async () => {
    const later = list.map((s, i) => ({ ...s, count: i === 0 ? s.count + 7 : s.count }));
    const r = await run(runPageOwnerDiff, ["--by=handle", `--stacks=${stacksHandles}`, handles, file("later", stackPrint(later, "show_handles"))]);
    expect(r.status).toBe(0);
    const frames = list[0].frames.map((f) => ` ${f}`).join("\n");
    const before = list[0].count;
    const printed = list.filter((s) => s.count >= 1);
    const pages = printed.reduce((a, s) => a + s.count, 0);
    const isNew = before === 0 ? 1 : 0;
    expect(r.stdout).toBe(
      `+7 pages (${before} -> ${before + 7})\n${frames}\nhandle: ${list[0].handle | 0}\n\n` +
        `total: +7 pages (${pages} -> ${pages + 7}); 1 grew by 7 pages (${isNew} new), 0 shrank by 0 pages (0 gone), ${printed.length - 1 + isNew} unchanged\n` +
        `compared: ${handles} (show_handles) -> ${join(dir, "later")} (show_handles) by handle, ${printed.length + isNew} keys\n`,
    );
  });

  it("bad input: one line, exit 2", async () => {
    const cases: [string[], RegExp][] = [
      [[handles], /^page_owner_diff: EINVAL: expected BEFORE and AFTER, got 1 files/],
      [["-", "-"], /^page_owner_diff: EINVAL: only one of BEFORE and AFTER can be stdin/],
      [["--by=pfn", handles, handles], /^page_owner_diff: EINVAL: --by must be one of stack, handle, memcg/],
      [["--by=handle", file("ss", showStacks), handles], /^page_owner_diff: BAD_CONFIG: show_stacks has no handles/],
      [[stacksHandles, handles], /^page_owner_diff: BAD_CONFIG: show_stacks_handles has no page counts/],
      [[file("garbage", "hello\n"), handles], /^page_owner_diff: PARSE_ERROR: line 1: GARBAGE/],
    ];
    for (const [argv, msg] of cases) {
      const r = await run(runPageOwnerDiff, argv);
      expect(r.status, argv.join(" ")).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.split("\n")).toHaveLength(2);
    }
  });
});

describe("allocinfo_sort", () => {
  const tags = randomTags(200, 5);
  const v2 = file("allocinfo", allocinfoShow(tags, "2.0"));

  it("default: the header, then ascending bytes; --top=N are the N biggest, --reverse biggest first", async () => {
    const r = await run(runAllocinfoSort, [v2]);
    expect(r.status).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines.slice(0, 2)).toEqual(["allocinfo - version: 2.0", "#     <size>  <calls> <tag info>"]);
    const bytes = lines.slice(2, -1).map((l) => BigInt(l.trim().split(/ +/)[0]));
    for (let i = 1; i < bytes.length; i++) expect(bytes[i - 1] <= bytes[i]).toBe(true);
    expect(r.stderr).toBe(`allocinfo_sort: 200 sites, ${tags.reduce((a, t) => a + t.bytes, 0n)} bytes, ${tags.reduce((a, t) => a + t.calls, 0n)} calls, ${tags.filter((t) => t.inaccurate).length} accurate:no (version 2.0)\n`);
    const top = await run(runAllocinfoSort, ["--top=5", v2]);
    expect(top.stdout.split("\n").slice(2, -1)).toEqual(lines.slice(-6, -1));
    const rev = await run(runAllocinfoSort, ["--reverse", "--top=5", v2]);
    expect(rev.stdout.split("\n").slice(2, -1)).toEqual(lines.slice(-6, -1).reverse());
    const bad = await run(runAllocinfoSort, ["--inaccurate", "--sort=calls", v2]);
    expect(bad.stdout.split("\n").slice(2, -1).every((l) => l.endsWith(" accurate:no "))).toBe(true);
  });

  it("bad input: one line, exit 2; --lenient skips the bad line", async () => {
    const broken = file("broken", `${allocinfoShow(tags.slice(0, 3), "1.0")}oops\n`);
    const r = await run(runAllocinfoSort, [broken]);
    expect(r).toMatchObject({ status: 2, stdout: "" });
    expect(r.stderr).toMatch(/^allocinfo_sort: PARSE_ERROR: line 6: BAD_LINE: not an allocinfo line: "oops"\n$/);
    const l = await run(runAllocinfoSort, ["--lenient", "--sort=none", broken]);
    expect(l.status).toBe(0);
    expect(l.stdout).toBe(allocinfoShow(tags.slice(0, 3), "1.0"));
    const o = await run(runAllocinfoSort, ["--top=-1", v2]);
    expect(o.stderr).toMatch(/^allocinfo_sort: EINVAL: --top must be a non-negative integer/);
  });
});

describe("bins", () => {
  const pkg = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
  const pj = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")) as { bin: Record<string, string> };
  for (const [name, src] of [
    ["page_owner_stacks", "page-owner-stacks"],
    ["page_owner_diff", "page-owner-diff"],
    ["allocinfo_sort", "allocinfo-sort"],
  ] as const) {
    it(`${name}: a node bin; --help exits 0, a bad option exits 2 with one line`, () => {
      expect(pj.bin[name]).toBe(`./dist/cli/${src}.js`);
      const bin = join(pkg, "src", "cli", `${src}.ts`);
      expect(readFileSync(bin, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
      const argv = (a: string[]): string[] => ["--import", "tsx", "--conditions=@mm/source", bin, ...a];
      const help = spawnSync(process.execPath, argv(["--help"]), { cwd: pkg, encoding: "utf8" });
      expect(help.status).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: ${name} `));
      const bad = spawnSync(process.execPath, argv(["--nope"]), { cwd: pkg, encoding: "utf8" });
      expect(bad.status).toBe(2);
      expect(bad.stderr).toBe(`${name}: EINVAL: Unknown option '--nope'\n`);
    });
  }
});
