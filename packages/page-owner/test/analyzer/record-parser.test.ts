// The typed streaming parser: the real 6.1 capture, every era's record format, chunking, and
// malformed input (lenient and --strict).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { isMmError, type MmError } from "@mm/api";
import {
  PageOwnerParser,
  parsePageOwner,
  parsePageOwnerText,
  type PageOwnerRecord,
  type ParseIssue,
} from "@mm/page-owner";
import { describe, expect, test } from "vitest";
import { asyncChunks, FIXTURE_DIR } from "./fixture-helpers.js";

const dump = gunzipSync(readFileSync(join(FIXTURE_DIR, "page_owner.txt.gz")));
const dumpText = dump.toString("latin1");

function parseAll(text: string, onIssue?: (i: ParseIssue) => void): PageOwnerRecord[] {
  return parsePageOwnerText(text, onIssue === undefined ? {} : { onIssue });
}

describe("the real 6.1 capture", () => {
  const issues: ParseIssue[] = [];
  const records = parseAll(dumpText, (i) => issues.push(i));

  test("16,711 records, no issue", () => {
    expect(records).toHaveLength(16711);
    expect(issues).toEqual([]);
  });

  test("the first record, field by field", () => {
    expect(records[0]).toEqual({
      line: 1,
      order: 0,
      gfp: 0,
      gfpNames: "",
      pid: 1,
      tgid: 1,
      comm: "swapper/0",
      tsNs: 507734792n,
      freeTsNs: 0n,
      pfn: 4096,
      pfnHex: false,
      migratetype: "Unmovable",
      block: 8,
      blockMigratetype: "Unmovable",
      fallback: false,
      pageFlags: 0x8000000000000n,
      pageFlagNames: "node=0|zone=1",
      frames: [
        "register_early_stack+0x31/0x65",
        "init_page_owner+0x33/0x300",
        "kernel_init_freeable+0x13c/0x26b",
        "kernel_init+0x11/0x110",
      ],
      migrateReason: null,
      slabCache: false,
      memcg: null,
    });
  });

  test("totals agree with a line count of the text", () => {
    const headers = dumpText.split("\n").filter((l) => l.startsWith("Page allocated via order "));
    const pages = headers.reduce((s, l) => s + 2 ** Number(/order (\d+)/.exec(l)![1]), 0);
    expect(records.reduce((s, r) => s + 2 ** r.order, 0)).toBe(pages);
    expect(pages).toBe(18433);
    expect(records.filter((r) => r.memcg !== null)).toHaveLength(dumpText.split("\nCharged to memcg /\n").length - 1);
    expect(records.filter((r) => r.order === 9)).toHaveLength(1);
    // Records come back in input order, with increasing pfns.
    for (let i = 1; i < records.length; i++) expect(records[i].pfn).toBeGreaterThan(records[i - 1].pfn);
  });

  test("gfp values and names as printed", () => {
    const thp = records.find((r) => r.order === 9)!;
    expect(thp.gfp).toBe(0x3d20ca);
    expect(thp.gfpNames).toBe("GFP_TRANSHUGE_LIGHT|__GFP_NORETRY|__GFP_THISNODE");
    expect(thp.comm).toBe("memhog");
  });

  test("any chunking gives the same records", async () => {
    const sizes = [1, 7, 4096, 65536];
    const head = dump.subarray(0, 200_000);
    const want = parsePageOwnerText(head.toString("latin1"));
    for (const size of sizes) {
      const got: PageOwnerRecord[] = [];
      const p = new PageOwnerParser((r) => got.push(r));
      for (let i = 0; i < head.length; i += size) p.push(head.subarray(i, i + size));
      p.end();
      expect(got).toEqual(want);
    }
    const pieces: Uint8Array[] = [];
    for (let i = 0; i < head.length; i += 9999) pieces.push(head.subarray(i, i + 9999));
    const streamed: PageOwnerRecord[] = [];
    for await (const r of parsePageOwner(asyncChunks(pieces))) streamed.push(r);
    expect(streamed).toEqual(want);
  });
});

/** One record per format era of kernel-spec §4.7. */
const ERAS: Record<string, string> = {
  "v3.19-4.5": [
    "Page allocated via order 1, mask 0x200d2",
    "PFN 262144 Block 512 type 1 Fallback Flags    L A  W  B ",
    " [<ffffffff81159f7a>] __alloc_pages_nodemask+0x1aa/0xa30",
    " [<ffffffff811a4b3e>] alloc_pages_current+0x8e/0x110",
    "",
  ].join("\n"),
  "v4.6-5.10": [
    "Page allocated via order 0, mask 0x24200ca(GFP_HIGHUSER_MOVABLE)",
    "PFN 99 type Movable Block 0 type Movable Flags 0x4000000000000014(uptodate|lru)",
    " __alloc_pages_nodemask+0x134/0x230",
    " alloc_pages_vma+0x7a/0x1c0",
    "Page has been migrated, last migrate reason: compaction",
    "",
  ].join("\n"),
  "5.11 pid": [
    "Page allocated via order 2, mask 0xcc0(GFP_KERNEL), pid 42, ts 1234 ns, free_ts 77 ns",
    "PFN 4100 type Unmovable Block 8 type Unmovable Flags 0x8000000000000(node=0|zone=1)",
    " kmalloc_order+0x1e/0x80",
    "",
  ].join("\n"),
  "6.1": [
    "Page allocated via order 0, mask 0x12cc0(GFP_KERNEL|__GFP_NOWARN|__GFP_NORETRY), pid 2, tgid 2 (kthreadd), ts 587782659 ns, free_ts 0 ns",
    "PFN 8192 type Unmovable Block 16 type Unmovable Flags 0x8000000000200(slab|node=0|zone=1)",
    " allocate_slab+0x32f/0x490",
    "Slab cache page",
    "Charged (via objcg) to offline memcg /system.slice/foo.service",
    "",
  ].join("\n"),
  "6.19": [
    "Page allocated via order 0, mask 0xd2cc0(GFP_KERNEL|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP|__GFP_NOMEMALLOC), pid 5640, tgid 5640 (stress-ng-brk), ts 414987114269 ns",
    "PFN 0x114 type Unmovable Block 0 type Unmovable Flags 0x200(workingset|node=0|zone=0)",
    " get_page_from_freelist+0x1416/0x1600",
    " __alloc_frozen_pages_noprof+0x18c/0x1000",
    "",
  ].join("\n"),
};

describe("every era's record format", () => {
  test("v3.19-4.5: numeric block type, Fallback marker, letter flags", () => {
    const [r] = parseAll(ERAS["v3.19-4.5"]);
    expect(r).toMatchObject({ order: 1, gfp: 0x200d2, gfpNames: null, pid: null, tsNs: null, pfn: 262144 });
    expect(r).toMatchObject({ migratetype: null, block: 512, blockMigratetype: "Movable", fallback: true, pageFlags: null });
    expect(r.frames).toEqual(["[<ffffffff81159f7a>] __alloc_pages_nodemask+0x1aa/0xa30", "[<ffffffff811a4b3e>] alloc_pages_current+0x8e/0x110"]);
  });

  test("v4.6-5.10: names, migrate reason", () => {
    const [r] = parseAll(ERAS["v4.6-5.10"]);
    expect(r).toMatchObject({ gfp: 0x24200ca, gfpNames: "GFP_HIGHUSER_MOVABLE", pid: null, comm: null });
    expect(r).toMatchObject({ pageFlags: 0x4000000000000014n, pageFlagNames: "uptodate|lru", migrateReason: "compaction" });
  });

  test("5.11: pid and free_ts without tgid/comm", () => {
    const [r] = parseAll(ERAS["5.11 pid"]);
    expect(r).toMatchObject({ order: 2, pid: 42, tgid: null, comm: null, tsNs: 1234n, freeTsNs: 77n });
  });

  test("6.1: slab page, objcg memcg line", () => {
    const [r] = parseAll(ERAS["6.1"]);
    expect(r).toMatchObject({ slabCache: true, memcg: { viaObjcg: true, offline: true, name: "/system.slice/foo.service" } });
    expect(r.pageFlagNames).toBe("slab|node=0|zone=1");
  });

  test("6.7+: hex PFN, no free_ts", () => {
    const [r] = parseAll(ERAS["6.19"]);
    expect(r).toMatchObject({ pfn: 0x114, pfnHex: true, tsNs: 414987114269n, freeTsNs: null, comm: "stress-ng-brk" });
  });

  test("a comm containing '), ts ' is cut at the last one", () => {
    const text = ERAS["6.19"].replace("(stress-ng-brk)", "(a), ts b)");
    expect(parseAll(text)[0].comm).toBe("a), ts b");
  });

  test("a UTF-8 comm comes back decoded", () => {
    const text = ERAS["6.19"].replace("stress-ng-brk", "tâche");
    expect(parseAll(text)[0].comm).toBe("tâche");
  });
});

describe("malformed input", () => {
  function issuesOf(text: string): { records: PageOwnerRecord[]; issues: ParseIssue[] } {
    const issues: ParseIssue[] = [];
    const records = parseAll(text, (i) => issues.push(i));
    return { records, issues };
  }
  const good = ERAS["6.1"];

  test("CRLF line ends parse like LF", () => {
    const { records, issues } = issuesOf(good.replace(/\n/g, "\r\n") + "\r\n" + ERAS["6.19"].replace(/\n/g, "\r\n"));
    expect(issues).toEqual([]);
    expect(records.map((r) => r.pfn)).toEqual([8192, 0x114]);
    expect(records[0].memcg?.name).toBe("/system.slice/foo.service");
  });

  test("a missing trailing blank line still yields the last record", () => {
    const { records, issues } = issuesOf(good.trimEnd());
    expect(records).toHaveLength(1);
    expect(issues).toEqual([]);
  });

  test("garbage between records is reported once per run of lines, records survive", () => {
    const { records, issues } = issuesOf(`${good}\nhello\nworld\n\n${ERAS["6.19"]}`);
    expect(records).toHaveLength(2);
    expect(issues).toEqual([{ code: "GARBAGE", line: 7, message: "lines outside any page_owner record" }]);
  });

  test("a truncated record (no PFN line) is dropped and reported at its first line", () => {
    const text = `${good}\nPage allocated via order 0, mask 0xcc0(GFP_KERNEL), pid 1, tgid 1 (x), ts 5 ns\n`;
    const { records, issues } = issuesOf(text);
    expect(records).toHaveLength(1);
    expect(issues.map((i) => [i.code, i.line])).toEqual([["NO_PFN_LINE", 7]]);
  });

  test("a record without its blank line before the next one", () => {
    const text = good.trimEnd() + "\n" + ERAS["6.19"];
    const { records, issues } = issuesOf(text);
    expect(records).toHaveLength(2);
    expect(issues.map((i) => i.code)).toEqual(["MISSING_BLANK_LINE"]);
  });

  test("huge numbers are OUT_OF_RANGE, not wrapped", () => {
    const cases = [
      good.replace("order 0", "order 99"),
      good.replace("pid 2,", "pid 99999999999,"),
      good.replace("ts 587782659 ns", "ts 99999999999999999999999 ns"),
      good.replace("PFN 8192", "PFN 9999999999999999999"),
      good.replace("mask 0x12cc0", "mask 0x1234567890"),
    ];
    for (const text of cases) {
      const { records, issues } = issuesOf(text);
      expect(records).toEqual([]);
      expect(issues.map((i) => i.code)).toEqual(["OUT_OF_RANGE"]);
    }
  });

  test("a bad header or PFN line drops the record; unknown lines inside a record are reported", () => {
    expect(issuesOf(good.replace(", mask 0x12cc0", ", mask zz")).issues.map((i) => i.code)).toEqual(["BAD_HEADER"]);
    expect(issuesOf(good.replace("Block 16", "Blk 16")).issues.map((i) => i.code)).toEqual(["BAD_PFN_LINE"]);
    const odd = issuesOf(good.replace("Slab cache page", "Something else"));
    expect(odd.records).toHaveLength(1);
    expect(odd.issues.map((i) => [i.code, i.line])).toEqual([["UNEXPECTED_LINE", 4]]);
  });

  test("an endless line is cut at maxLineLength and memory stays bounded", () => {
    const issues: ParseIssue[] = [];
    const records: PageOwnerRecord[] = [];
    const p = new PageOwnerParser((r) => records.push(r), { onIssue: (i) => issues.push(i), maxLineLength: 1000 });
    const junk = Buffer.alloc(64 * 1024, 0x41);
    for (let i = 0; i < 256; i++) p.push(junk); // 16 MiB without a newline
    p.push(Buffer.from(`\n\n${good}`));
    p.end();
    expect(records).toHaveLength(1);
    expect(issues.map((i) => [i.code, i.line])).toEqual([
      ["LINE_TOO_LONG", 1],
      ["GARBAGE", 1],
    ]);
  });

  test("strict mode throws MmError PARSE_ERROR with the line number", () => {
    const text = `${good}\n${good.replace("PFN 8192", "PFN x")}`;
    let err: unknown;
    try {
      parsePageOwnerText(text, { strict: true });
    } catch (e) {
      err = e;
    }
    expect(isMmError(err, "PARSE_ERROR")).toBe(true);
    expect((err as MmError).detail).toEqual({ line: 8, issue: "BAD_PFN_LINE" });
    expect(parsePageOwnerText(good, { strict: true })).toHaveLength(1);
  });
});
