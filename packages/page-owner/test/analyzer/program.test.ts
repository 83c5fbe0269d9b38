// The page_owner_sort command line: getopt behaviour and messages, exit codes, file errors, the
// kernel tool's input quirks (compat mode), and our extensions.

import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, test } from "vitest";
import { findKernelTool } from "./differential/kernel-tools.js";
import { asyncChunks, FIXTURE_DIR, fixtureDumpPath, run, smallDumpPath } from "./fixture-helpers.js";

const dir = mkdtempSync(join(tmpdir(), "page-owner-sort-cli-"));
let seq = 0;
/** A fresh output path. */
function out(): string {
  return join(dir, `out-${++seq}.txt`);
}
/** Writes a temp input file. */
function input(content: string | Buffer): string {
  const p = join(dir, `in-${++seq}.txt`);
  writeFileSync(p, content);
  return p;
}
function read(p: string): string {
  return readFileSync(p, "latin1");
}

const REC = (pid: number, comm: string, ts: number, stack: string, order = 0): string =>
  `Page allocated via order ${order}, mask 0xcc0(GFP_KERNEL), pid ${pid}, tgid ${pid} (${comm}), ts ${ts} ns\n` +
  `PFN 0x${(1000 + ts).toString(16)} type Unmovable Block 1 type Unmovable Flags 0x0(node=0|zone=1)\n` +
  ` ${stack}+0x1/0x10\n __alloc_pages+0x1d7/0x330\n\n`;

const USAGE_612_FIRST = "Usage: ./page_owner_sort [OPTIONS] <input> <output>\n-a\t\t\tSort by memory allocation time.\n";

describe("getopt_long behaviour", () => {
  test("an unknown short option: glibc's message, usage on stdout, exit 1", async () => {
    const r = await run(["-x", "a", "b"]);
    expect(r).toMatchObject({ code: 1, stderr: "page_owner_sort: invalid option -- 'x'\n" });
    expect(r.stdout.startsWith(USAGE_612_FIRST)).toBe(true);
  });

  test("long option errors", async () => {
    expect((await run(["--foo=1", "a", "b"])).stderr).toBe("page_owner_sort: unrecognized option '--foo=1'\n");
    expect((await run(["--pid"])).stderr).toBe("page_owner_sort: option '--pid' requires an argument\n");
    expect((await run(["--help=1"])).stderr).toBe("page_owner_sort: unrecognized option '--help=1'\n");
    expect((await run(["--=x", "a", "b"])).stderr).toBe(
      "page_owner_sort: option '--=x' is ambiguous; possibilities: '--pid' '--tgid' '--name' '--cull' '--sort'\n",
    );
  });

  test("--help is no option of the kernel tool (nor -h): unrecognized, usage, exit 1", async () => {
    for (const opt of ["--help", "--h", "--he"]) {
      const r = await run([opt, "a", "b"]);
      expect(r).toMatchObject({ code: 1, stderr: `page_owner_sort: unrecognized option '${opt}'\n` });
      expect(r.stdout.startsWith(USAGE_612_FIRST)).toBe(true);
    }
    expect((await run(["-h"])).stderr).toBe("page_owner_sort: invalid option -- 'h'\n");
    const help61 = await run(["--compat=6.1", "--he"]);
    expect(help61.code).toBe(1);
    expect(help61.stdout).toContain("-f\t\tFilter out the information of blocks whose memory has been released.\n");
  });

  test("fewer than two file arguments: usage, exit 1", async () => {
    const r = await run(["-m", "only-one"]);
    expect(r.code).toBe(1);
    expect(r.stdout.startsWith(USAGE_612_FIRST)).toBe(true);
    expect(r.stderr).toBe("");
  });

  test("options may follow the files (permutation), abbreviations work, '--' ends options", async () => {
    const dump = smallDumpPath();
    const a = out();
    const b = out();
    const c = out();
    expect((await run(["--name=kthreadd,swapper/0", "--cull=pid", dump, a])).code).toBe(0);
    expect((await run([dump, b, "--na", "kthreadd,swapper/0", "--cu=pid"])).code).toBe(0);
    expect((await run(["--na=kthreadd,swapper/0", "--cu=pid", "--", dump, c])).code).toBe(0);
    expect(read(b)).toBe(read(a));
    expect(read(c)).toBe(read(a));
    expect(read(a)).toMatch(/^\d+ times, \d+ pages, PID 1, task_comm_name: swapper\/0\n\d+ times, \d+ pages, PID 2, task_comm_name: kthreadd\n$/);
  });

  test("POSIXLY_CORRECT stops at the first file argument", async () => {
    const { runPageOwnerSort } = await import("@mm/page-owner");
    let stdout = "";
    const o = out();
    const code = await runPageOwnerSort([smallDumpPath(), o, "-x"], {
      stdout: (d) => (stdout += typeof d === "string" ? d : Buffer.from(d).toString()),
      stderr: () => {},
      env: { POSIXLY_CORRECT: "1" },
    });
    expect(code).toBe(0); // -x is the third file argument, ignored like in C
    expect(stdout).toContain("loaded 2000\n");
  });

  test("extension options match only by exact name", async () => {
    expect((await run(["--js", "a", "b"])).stderr).toBe("page_owner_sort: unrecognized option '--js'\n");
    expect((await run(["--comp=6.1", "a", "b"])).stderr).toBe("page_owner_sort: unrecognized option '--comp=6.1'\n");
    // ...and the kernel's abbreviations keep working next to them: --s is --sort, --st is not --stacks.
    expect((await run(["--st=x", "a", "b"])).stderr).toBe("page_owner_sort: unrecognized option '--st=x'\n");
    expect((await run(["--s=zz", "a", "b"])).stderr).toBe("wrong argument after --sort option:zz\n");
    expect((await run(["--compat=5.4", "a", "b"])).stderr).toBe(
      "page_owner_sort: invalid --compat value '5.4' (expected 6.1 or 6.12)\n",
    );
  });
});

describe("option semantics per tool version", () => {
  const dump = (): string => smallDumpPath();

  test("6.12 allows one single-letter sort flag; 6.1 lets the last one win", async () => {
    const two = await run(["-m", "-t", dump(), out()]);
    expect(two.code).toBe(1);
    expect(two.stdout.startsWith(USAGE_612_FIRST)).toBe(true);
    const same = await run(["-m", "-m", dump(), out()]);
    expect(same.code).toBe(0);
    const a = out();
    const b = out();
    await run(["--compat=6.1", "-m", "-t", dump(), a]);
    await run(["--compat=6.1", "-t", dump(), b]);
    expect(read(a)).toBe(read(b));
  });

  test("6.12 rejects what 6.7 removed: -f, -r, --cull=free, --sort=ft", async () => {
    expect((await run(["-f", dump(), out()])).stderr).toBe("page_owner_sort: invalid option -- 'f'\n");
    expect((await run(["-r", dump(), out()])).stderr).toBe("page_owner_sort: invalid option -- 'r'\n");
    expect(await run(["--cull=free", dump(), out()])).toMatchObject({ code: 1, stderr: "wrong argument after --cull option:free\n" });
    expect(await run(["--sort=ft", dump(), out()])).toMatchObject({ code: 1, stderr: "wrong argument after --sort option:ft\n" });
    expect((await run(["--compat=6.1", "--cull=f", "--sort=-ft", dump(), out()])).code).toBe(0);
  });

  test("bad --pid/--tgid lists", async () => {
    expect(await run(["--pid=1,x", dump(), out()])).toMatchObject({
      code: 1,
      stderr: "wrong/invalid pid in from the command line:1,x\n",
    });
    expect(await run(["--tgid=", dump(), out()])).toMatchObject({
      code: 1,
      stderr: "wrong/invalid tgid in from the command line:\n",
    });
    expect((await run(["--pid= +1", dump(), out()])).code).toBe(0); // strtol: blanks and a sign are fine
  });

  test("6.1 --sort keeps all keys; 6.12 replaces them by -t", async () => {
    const a = out();
    const b = out();
    await run(["--compat=6.1", "--sort=p,-at", dump(), a]);
    const text = read(a);
    const pids = [...text.matchAll(/, pid (\d+),/g)].map((m) => Number(m[1]));
    expect(pids).toEqual([...pids].sort((x, y) => x - y));
    await run(["--sort=p", dump(), b]);
    const dflt = out();
    await run([dump(), dflt]);
    expect(read(b)).toBe(read(dflt));
  });

  test("-d reports what the patterns miss", async () => {
    // (at least 100 bytes: smaller files get max_size 0 and load nothing, as in C)
    const blk = `garbage block ${"x".repeat(100)}`;
    const r = await run(["-d", input(`${blk}\n\n`), out()]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`no matching pattern in ${blk}\n\n`);
    expect(r.stderr).toContain(`wrong/invalid pid in follow buf:\n${blk}\n\n`);
    expect(r.stderr).toContain(`wrong order in follow buf:\n${blk}\n\n`);
    const quiet = await run([input(`${blk}\n\n`), out()]);
    expect(quiet.stderr).toBe("");
  });
});

describe("files", () => {
  test("a missing input: usage, perror, exit 1, and the output is still created", async () => {
    const o = out();
    const r = await run([join(dir, "nope.txt"), o]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("open: : No such file or directory\n");
    expect(r.stdout.startsWith(USAGE_612_FIRST)).toBe(true);
    expect(existsSync(o)).toBe(true);
  });

  test("an output that is a directory", async () => {
    const d = join(dir, "adir");
    mkdirSync(d);
    const r = await run([fixtureDumpPath(), d]);
    expect(r).toMatchObject({ code: 1, stderr: "open: : Is a directory\n" });
  });

  test("an input that is a directory reads as empty", async () => {
    const o = out();
    const r = await run([dir, o]);
    expect(r).toMatchObject({ code: 0, stdout: "loaded 0\nsorting ....\nculling\n" });
    expect(read(o)).toBe("");
  });

  test(".gz input gives the same output as the plain file", async () => {
    const plain = out();
    const gz = out();
    await run(["--cull=stacktrace", smallDumpPath(), plain]);
    await run(["--cull=stacktrace", input(gzipSync(readFileSync(smallDumpPath()))), gz]);
    expect(read(plain)).toMatch(/^\d+ times, \d+ pages:\n [a-z_]+\+0x/);
    expect(read(gz)).toBe(read(plain));
  });

  test("'-' is a file named '-', as fopen() sees it, for input and output", async () => {
    const cwd = mkdtempSync(join(dir, "dash-"));
    writeFileSync(join(cwd, "-"), readFileSync(smallDumpPath()));
    const r = await run(["--cull=allocator", "-", "out.txt"], undefined, cwd);
    expect(r).toMatchObject({ code: 0, stdout: "loaded 1000\rloaded 2000\rloaded 2000\nsorting ....\nculling\n" });
    expect(read(join(cwd, "out.txt"))).toMatch(/^\d+ times, \d+ pages, allocated by OTHERS \n/);
    const w = await run(["--cull=allocator", fixtureDumpPath(), "-"], undefined, cwd);
    const progress = Array.from({ length: 16 }, (_v, i) => `loaded ${(i + 1) * 1000}\r`).join("");
    expect(w.stdout).toBe(`${progress}loaded 16711\nsorting ....\nculling\n`);
    expect(read(join(cwd, "-"))).toBe(
      "14307 times, 15060 pages, allocated by OTHERS \n1571 times, 2540 pages, allocated by SLAB \n833 times, 833 pages, allocated by VMALLOC \n",
    );
  });
});

describe("the kernel tool's input quirks (compat)", () => {
  test("a final block without its blank line is dropped", async () => {
    const text = REC(1, "a", 1, "f") + REC(2, "b", 2, "g").trimEnd() + "\n";
    const o = out();
    const r = await run([input(text), o]);
    expect(r.stdout).toBe("loaded 1\nsorting ....\nculling\n");
    expect(read(o)).toContain("(a)");
    expect(read(o)).not.toContain("(b)");
  });

  test("CRLF dumps have no blank lines for the tool: one oversized block, nothing loaded", async () => {
    let text = "";
    for (let i = 0; i < 400; i++) text += REC(i, "a", i, "f");
    const r = await run([input(text.replace(/\n/g, "\r\n")), out()]);
    expect(r).toMatchObject({ code: 0, stdout: "loaded 0\nsorting ....\nculling\n" });
  });

  test("a block larger than 128 KiB ends all reading", async () => {
    const big = "Page allocated via order 0, mask 0x0(), pid 1, tgid 1 (x), ts 1 ns\n" + " f+0x1/0x2\n".repeat(13000) + "\n";
    const text = REC(1, "a", 1, "f") + big + REC(2, "b", 2, "g");
    const r = await run([input(text), out()]);
    expect(r.stdout).toBe("loaded 1\nsorting ....\nculling\n");
  });

  test("a PFN line never enters the text; a block without one inherits the previous PFN line", async () => {
    const slab = REC(1, "a", 1, "f").replace("Flags 0x0(node=0|zone=1)", "Flags 0x200(slab|node=0|zone=1)");
    const noPfn = REC(2, "b", 2, "g").replace(/PFN [^\n]*\n/, "");
    const o = out();
    await run(["--cull=name,allocator", input(slab + noPfn), o]);
    expect(read(o)).toBe(
      "1 times, 1 pages, task_comm_name: a, allocated by SLAB \n1 times, 1 pages, task_comm_name: b, allocated by SLAB \n",
    );
  });

  test("a NUL byte cuts its line and joins the next one", async () => {
    const text = REC(1, "a", 1, "f").replace(" f+0x1/0x10\n", " f+0x1\0/0x10\n");
    const o = out();
    await run([input(Buffer.from(text, "latin1")), o]);
    expect(read(o)).toContain("\n f+0x1 __alloc_pages+0x1d7/0x330\n");
  });

  test("the st_size/100 capacity: tiny blocks overflow it, the output file stays empty", async () => {
    let text = "";
    for (let i = 0; i < 1000; i++) text += `b${i}\n\n`; // 5890 bytes -> max_size 58
    const o = out();
    // 6.7+: add_list() fails, main() returns 0 before any progress line.
    expect(await run([input(text), o])).toMatchObject({ code: 0, stderr: "max_size too small??\n", stdout: "" });
    expect(read(o)).toBe("");
    // 6.1: add_list() exit(1)s.
    const o61 = out();
    expect(await run(["--compat=6.1", input(text), o61])).toMatchObject({ code: 1, stderr: "max_size too small??\n", stdout: "" });
    expect(read(o61)).toBe("");
    // 6.1 merges identical neighbours before the check, so one block repeated never fills it.
    expect((await run(["--compat=6.1", input("x\n\n".repeat(1000)), out()])).stdout).toBe("loaded 1\nsorting ....\nculling\n");
  });

  test("6.1 merges identical neighbouring blocks while loading (and counts them once)", async () => {
    const rec = REC(1, "a", 5, "f");
    const text = rec + rec + REC(1, "a", 6, "f") + rec;
    const o = out();
    const r = await run(["--compat=6.1", input(text), o]);
    expect(r.stdout).toBe("loaded 3\nsorting ....\nculling\n");
    expect(read(o).match(/^\d+ times/gm)).toEqual(["3 times", "1 times"]);
    const o2 = out();
    expect((await run([input(text), o2])).stdout).toBe("loaded 4\nsorting ....\nculling\n");
    expect(read(o2).match(/^\d+ times/gm)).toEqual(["4 times"]); // 6.12: ts digits stripped first
  });

  test("a line longer than the 128 KiB buffer ends reading: nothing loaded", async () => {
    const r = await run([input(REC(1, "a", 1, "f") + "A".repeat(3 << 20) + "\n\n" + REC(2, "b", 2, "g")), out()]);
    expect(r.stdout).toBe("loaded 1\nsorting ....\nculling\n");
  });
});

describe("extensions", () => {
  test("--json has the text output's groups, in the same order", async () => {
    const t = out();
    const j = out();
    await run(["--cull=pid,name", smallDumpPath(), t]);
    await run(["--cull=pid,name", "--json", smallDumpPath(), j]);
    const parsed = JSON.parse(read(j)) as { loaded: number; groups: { times: number; pages: number; pid: number; comm: string }[] };
    expect(parsed.loaded).toBe(2000);
    const fromJson = parsed.groups.map((g) => `${g.times} times, ${g.pages} pages, PID ${g.pid}, task_comm_name: ${g.comm}\n`);
    expect(fromJson.join("")).toBe(read(t));
  });

  test("--stacks: nr_base_pages per stack add up to the dump's pages, like --cull=stacktrace", async () => {
    const s = out();
    const r = await run(["--stacks", fixtureDumpPath(), s]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const text = read(s);
    const counts = [...text.matchAll(/^nr_base_pages: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(18433);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    // The kernel tool's --cull=stacktrace groups by frames plus trailing lines (memcg): summing its
    // pages per frame list must give our numbers.
    const c = out();
    await run(["--cull=stacktrace", fixtureDumpPath(), c]);
    const fromCull = new Map<string, number>();
    for (const m of read(c).matchAll(/^\d+ times, (\d+) pages:\n((?:.+\n)*)\n/gm)) {
      const frames = m[2].split("\n").filter((l) => l.startsWith(" ")).join("\n");
      fromCull.set(frames, (fromCull.get(frames) ?? 0) + Number(m[1]));
    }
    const fromStacks = new Map<string, number>();
    for (const m of text.matchAll(/((?: .+\n)*)nr_base_pages: (\d+)\n\n/g)) fromStacks.set(m[1].trimEnd(), Number(m[2]));
    expect(fromStacks.size).toBeGreaterThan(100);
    expect(fromStacks).toEqual(fromCull);
  });

  test("--top=N: N stacks and a total line", async () => {
    const r = await run(["--top=3", join(FIXTURE_DIR, "page_owner.txt.gz")]);
    expect(r.code).toBe(0);
    expect(r.stdout.match(/^#\d+ /gm)).toEqual(["#1 ", "#2 ", "#3 "]);
    expect(r.stdout).toMatch(/^#1 7442 pages \(29\.1 MiB, 40\.4%\) in 7442 records\n get_page_from_freelist/);
    expect(r.stdout.trimEnd().split("\n").pop()).toMatch(/^total: 18433 pages \(72\.0 MiB\) in 16711 records, \d+ stacks; top 3 hold \d+ pages/);
  });

  test("--diff: stacks that grew, by how many pages", async () => {
    const base = REC(1, "a", 1, "f") + REC(1, "a", 2, "g");
    const later = REC(1, "a", 1, "f") + REC(1, "a", 2, "f", 2) + REC(1, "a", 3, "h");
    const r = await run(["--diff", input(base), input(later)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      "+4 pages (1 -> 5; records 1 -> 2)\n f+0x1/0x10\n __alloc_pages+0x1d7/0x330\n\n" +
        "+1 pages (0 -> 1; records 0 -> 1)\n h+0x1/0x10\n __alloc_pages+0x1d7/0x330\n\n" +
        "-1 pages (1 -> 0; records 1 -> 0)\n g+0x1/0x10\n __alloc_pages+0x1d7/0x330\n\n" +
        "total: +4 pages (2 -> 6); 2 stacks grew, 1 shrank\n",
    );
    const j = await run(["--diff", "--json", input(base), input(later)]);
    expect((JSON.parse(j.stdout) as { totalAfter: number }).totalAfter).toBe(6);
  });

  test("--strict lists malformed records with line numbers and exits 2; the output is still written", async () => {
    const text = REC(1, "a", 1, "f") + "junk\n\n" + REC(2, "b", 2, "g").replace(/PFN [^\n]*\n/, "");
    const o = out();
    const r = await run(["--strict", input(text), o]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/:6: GARBAGE: lines outside any page_owner record\n.*:8: NO_PFN_LINE: record has no PFN line/s);
    expect(read(o)).toContain("(b)");
    const lenient = await run(["--stacks", input(text)]);
    expect(lenient.code).toBe(0);
    expect(lenient.stderr).toMatch(/skipped 2 malformed part\(s\) of the input/);
  });

  test("filters apply to --stacks", async () => {
    const r = await run(["--stacks", "--name=dd", fixtureDumpPath()]);
    const counts = [...r.stdout.matchAll(/^nr_base_pages: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(3340); // --cull=name: "3335 times, 3340 pages, dd"
  });

  test("a gzip stream on stdin is detected", async () => {
    const r = await run(["--stacks", "-"], asyncChunks([gzipSync(Buffer.from(REC(1, "a", 1, "f")))]));
    expect(r.stdout).toBe(" f+0x1/0x10\n __alloc_pages+0x1d7/0x330\nnr_base_pages: 1\n\n");
  });

  describe("memcg trailer lines (print_page_owner_memcg: Slab cache page, Charged ... memcg ...)", () => {
    /** A record with the trailer lines 6.x prints after the stack. */
    const MREC = (pid: number, ts: number, stack: string, trailer: string, order = 0): string =>
      REC(pid, "w", ts, stack, order).replace(/\n\n$/, `\n${trailer}\n`);
    const dump = [
      MREC(1, 10, "f", "Slab cache page\nCharged (via objcg) to memcg system.slice\n"),
      MREC(2, 11, "f", "Charged to memcg init.scope\n", 1),
      MREC(3, 12, "g", "Slab cache page\nCharged (via objcg) to memcg system.slice\n", 2),
      MREC(4, 13, "f", ""),
      MREC(5, 14, "g", "Charged to offline memcg gone.scope\n"),
      MREC(6, 15, "g", "Charged to memcg init.scope\n"),
    ].join("");

    test("kept as the kernel tools keep them: part of the block text, so of the groups and of --cull=stacktrace", async () => {
      const t = out();
      expect((await run([input(dump), t])).code).toBe(0);
      // Same stack f, different trailers: three groups, each printed with its lines.
      expect(read(t)).toContain(" __alloc_pages+0x1d7/0x330\nSlab cache page\nCharged (via objcg) to memcg system.slice\n\n");
      expect(read(t).match(/ times, /g)).toHaveLength(6);
      const st = out();
      await run(["--cull=stacktrace", input(dump), st]);
      const groups = read(st).split("\n\n").filter((g) => g !== "");
      expect(groups).toHaveLength(6);
      expect(groups.filter((g) => g.endsWith("\nSlab cache page\nCharged (via objcg) to memcg system.slice"))).toHaveLength(2);
      expect(groups.filter((g) => g.endsWith("\nCharged to offline memcg gone.scope"))).toHaveLength(1);
      // And byte for byte what the kernel's own tools print, where they are built.
      for (const era of ["6.1", "6.12"] as const) {
        const tool = findKernelTool(era);
        if (typeof tool === "string") continue;
        for (const args of [[], ["--cull=stacktrace"]]) {
          const c = out();
          const o = out();
          const f = input(era === "6.1" ? dump.replace(/ ns\n/g, " ns, free_ts 0 ns\n") : dump);
          expect(spawnSync(tool.path, [...args, f, c]).status).toBe(0);
          await run([...(era === "6.1" ? ["--compat=6.1"] : []), ...args, f, o]);
          expect(read(o)).toBe(read(c));
        }
      }
    });

    test("--memcg alone groups by memcg (all trailer fields) and prints it as a column", async () => {
      const t = out();
      expect((await run(["--memcg", input(dump), t])).code).toBe(0);
      expect(read(t)).toBe(
        "2 times, 3 pages, memcg init.scope\n" +
          "2 times, 5 pages, memcg system.slice (via objcg, slab cache page)\n" +
          "1 times, 1 pages, memcg -\n" +
          "1 times, 1 pages, memcg gone.scope (offline)\n",
      );
    });

    test("--memcg with --cull: one more key; with --json: a memcg field", async () => {
      const t = out();
      await run(["--cull=stacktrace", "--memcg", input(dump), t]);
      expect(read(t)).toContain("1 times, 4 pages, memcg system.slice (via objcg, slab cache page):\n g+0x1/0x10\n");
      expect(read(t)).toContain("1 times, 1 pages, memcg -:\n f+0x1/0x10\n");
      const n = out();
      await run(["--cull=name", "--memcg", input(dump), n]);
      expect(read(n).split("\n").filter((l) => l !== "")).toEqual([
        "2 times, 3 pages, task_comm_name: w, memcg init.scope",
        "2 times, 5 pages, task_comm_name: w, memcg system.slice (via objcg, slab cache page)",
        "1 times, 1 pages, task_comm_name: w, memcg -",
        "1 times, 1 pages, task_comm_name: w, memcg gone.scope (offline)",
      ]);
      const j = out();
      await run(["--memcg", "--json", input(dump), j]);
      const parsed = JSON.parse(read(j)) as { groups: { times: number; memcg: unknown }[] };
      expect(parsed.groups[1]).toEqual({ times: 2, pages: 5, memcg: { slab: true, name: "system.slice", viaObjcg: true, offline: false } });
    });

    test("--memcg is no option of the kernel tools (so every argv they accept means what it means there)", async () => {
      // Their getopt_long has only pid, tgid, name, cull and sort: --memcg is unrecognized, exit 1.
      // (test/analyzer/differential.test.ts runs the real tools; here: our own abbreviation rules.)
      expect((await run(["--memc", "a", "b"])).stderr).toBe("page_owner_sort: unrecognized option '--memc'\n");
      expect((await run(["--cull=memcg", "a", "b"])).stderr).toBe("wrong argument after --cull option:memcg\n");
    });
  });
});
