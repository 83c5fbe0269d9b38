// Seeded fuzzing with mutated page_owner records (3,000 per run): the typed parser never throws in
// lenient mode, throws exactly PARSE_ERROR at the first issue in strict mode, and does not depend
// on chunking; the page_owner_sort emulation never throws, does not depend on chunking, and its
// fast header path agrees with the C tool's regexes on every block.

import { isMmError, type MmError } from "@mm/api";
import { PageOwnerParser, type PageOwnerRecord, type ParseIssue } from "@mm/page-owner";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { defaultCompatConfig, setSingleCmp, CMP_NUM, SORT_DESC, type CompatEra } from "../../src/analyzer/compat/config.js";
import {
  getComm,
  getFreeTsNsec,
  getPageNum,
  getPid,
  getTgid,
  getTsNsec,
  intOf,
  pageNumOf,
  removeTsDigits,
  HeaderBytes,
  parseHeaderBytes,
  standardHeader,
  u64Of,
} from "../../src/analyzer/compat/fields.js";
import { CompatBlockReader } from "../../src/analyzer/compat/reader.js";
import { CompatSorter, formatCompatGroup } from "../../src/analyzer/compat/sorter.js";
import { generatePageOwnerDump } from "../../src/analyzer/generate.js";

/** Base records: generated in both formats, split into single records (each ends with "\n\n"). */
function baseRecords(): string[] {
  const out: string[] = [];
  for (const era of ["6.1", "6.12"] as const) {
    const text = [...generatePageOwnerDump({ seed: era === "6.1" ? 11 : 12, era, bytes: 120_000, stacks: 60 })].join("");
    for (const r of text.split("\n\n")) if (r !== "") out.push(`${r}\n\n`);
  }
  return out;
}
const BASE = baseRecords();

/** Text mutations that real broken dumps show (truncation, garbage, CRLF, huge numbers, NULs...). */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant("none" as const) }),
  fc.record({ kind: fc.constant("dropLine" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("dupLine" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("garbage" as const), at: fc.nat(), text: fc.string({ maxLength: 40, unit: "binary-ascii" }) }),
  fc.record({ kind: fc.constant("bigNumber" as const), at: fc.nat(), digits: fc.integer({ min: 10, max: 40 }) }),
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), ch: fc.constantFrom("\0", "\r", "\n", " ", "(", ")", ",", "t", "s", "9", "\xff", "P") }),
  fc.record({ kind: fc.constant("crlf" as const) }),
  fc.record({ kind: fc.constant("noBlank" as const) }),
  fc.record({ kind: fc.constant("tsInComm" as const) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(rec: string, m: Mutation): string {
  const lines = rec.split("\n");
  switch (m.kind) {
    case "none":
      return rec;
    case "dropLine":
      lines.splice(m.at % lines.length, 1);
      return lines.join("\n");
    case "dupLine": {
      const i = m.at % lines.length;
      lines.splice(i, 0, lines[i]);
      return lines.join("\n");
    }
    case "truncate":
      return rec.slice(0, m.at % rec.length);
    case "garbage":
      lines.splice(m.at % lines.length, 0, m.text);
      return lines.join("\n");
    case "bigNumber": {
      const nums = [...rec.matchAll(/[0-9]+/g)];
      if (nums.length === 0) return rec;
      const n = nums[m.at % nums.length];
      return rec.slice(0, n.index) + "9".repeat(m.digits) + rec.slice(n.index + n[0].length);
    }
    case "flip": {
      const i = m.at % rec.length;
      return rec.slice(0, i) + m.ch + rec.slice(i + 1);
    }
    case "crlf":
      return rec.replace(/\n/g, "\r\n");
    case "noBlank":
      return rec.replace(/\n+$/, "\n");
    case "tsInComm":
      return rec.replace(/ \(([^)]*)\), ts /, " ($1 ts 1 ns), ts ");
  }
}

const dumpArb = fc
  .array(fc.tuple(fc.nat({ max: BASE.length - 1 }), mutation), { minLength: 30, maxLength: 30 })
  .map((picks) => picks.map(([i, m]) => mutate(BASE[i], m)).join(""));

/** Split points for chunking invariance. */
const splitsArb = fc.array(fc.nat(), { minLength: 1, maxLength: 8 });

function chunked(bytes: Buffer, cuts: number[]): Buffer[] {
  const pos = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of pos) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  out.push(bytes.subarray(prev));
  return out;
}

function parse(chunks: Buffer[], strict = false): { records: PageOwnerRecord[]; issues: ParseIssue[] } {
  const records: PageOwnerRecord[] = [];
  const issues: ParseIssue[] = [];
  const p = new PageOwnerParser((r) => records.push(r), { onIssue: (i) => issues.push(i), strict });
  for (const c of chunks) p.push(c);
  p.end();
  return { records, issues };
}

/** Runs the page_owner_sort emulation over chunks; returns its output and blocks seen. */
function compat(era: CompatEra, chunks: string[]): { out: string; blocks: string[]; stderr: string } {
  const cfg = defaultCompatConfig(era);
  setSingleCmp(cfg, CMP_NUM, SORT_DESC);
  let stderr = "";
  const sorter = new CompatSorter(cfg, { stdout: () => {}, stderr: (s) => (stderr += s) }, Infinity);
  const blocks: string[] = [];
  const reader = new CompatBlockReader((b, len, extBits, mayVm) => {
    blocks.push(b.toString("latin1", 0, len));
    return sorter.addBlock(b, len, extBits, mayVm);
  });
  for (const c of chunks) reader.push(Buffer.from(c, "latin1"));
  reader.end();
  return { out: sorter.finish().map((g) => formatCompatGroup(cfg, g)).join(""), blocks, stderr };
}

const RUNS = 100; // x 30 records = 3,000 mutated records per run
const SEED = 0x5eed;

describe("fuzz: mutated records", () => {
  test("the typed parser: no throw, sane records, chunking-independent, strict = first issue", () => {
    let records = 0;
    fc.assert(
      fc.property(dumpArb, splitsArb, (text, cuts) => {
        const bytes = Buffer.from(text, "latin1");
        const whole = parse([bytes]);
        records += whole.records.length;
        const bad = whole.records.filter(
          (r) =>
            !(Number.isInteger(r.order) && r.order >= 0 && r.order <= 63) ||
            !Number.isSafeInteger(r.pfn) ||
            r.gfp >>> 0 !== r.gfp ||
            r.frames.some((f) => typeof f !== "string"),
        );
        expect(bad).toEqual([]);
        const lines = text.split("\n").length;
        expect(whole.issues.filter((i) => !(i.line >= 1 && i.line <= lines))).toEqual([]);
        expect(parse(chunked(bytes, cuts))).toEqual(whole);
        let err: unknown = null;
        try {
          parse([bytes], true);
        } catch (e) {
          err = e;
        }
        if (whole.issues.length === 0) expect(err).toBe(null);
        else {
          expect(isMmError(err, "PARSE_ERROR")).toBe(true);
          expect((err as MmError).detail?.line).toBe(whole.issues[0].line);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(records).toBeGreaterThan(1000);
  });

  test("page_owner_sort emulation: no throw, chunking-independent, both eras", () => {
    fc.assert(
      fc.property(dumpArb, splitsArb, fc.constantFrom<CompatEra>("6.1", "6.12"), (text, cuts, era) => {
        const whole = compat(era, [text]);
        const split = compat(
          era,
          chunked(Buffer.from(text, "latin1"), cuts).map((b) => b.toString("latin1")),
        );
        expect(split).toEqual(whole);
      }),
      { seed: SEED + 1, numRuns: RUNS },
    );
  });

  test("the fast header path returns what the C tool's regexes find, on every block", () => {
    const hb = new HeaderBytes();
    let fast = 0;
    let slow = 0;
    fc.assert(
      fc.property(dumpArb, (text) => {
        for (const block of compat("6.1", [text]).blocks) {
          const h = standardHeader(block);
          if (h === null) {
            expect(parseHeaderBytes(Buffer.from(block, "latin1"), block.length, hb)).toBe(false);
            slow++;
            continue;
          }
          fast++;
          expect(intOf(h.pid)).toBe(getPid(block, null));
          expect(intOf(h.tgid)).toBe(getTgid(block, null));
          expect(h.comm).toBe(getComm(block, null));
          expect(pageNumOf(h.order)).toBe(getPageNum(block, null));
          expect(u64Of(h.ts)).toBe(getTsNsec(block, null));
          if (h.freeTs !== undefined) {
            expect(u64Of(h.freeTs)).toBe(getFreeTsNsec(block, null));
            expect(u64Of(h.ts)).toBe(getTsNsec(block, null, true)); // 6.1's "ns," pattern
          }
          expect(block.slice(0, h.tsStart) + block.slice(h.tsStart + h.ts.length)).toBe(removeTsDigits(block));
          // The byte parser the loader uses agrees with standardHeader() field by field.
          expect(parseHeaderBytes(Buffer.from(block, "latin1"), block.length, hb)).toBe(true);
          expect([hb.pageNum, hb.pid, hb.tgid, block.slice(hb.commStart, hb.commEnd), hb.ts, hb.tsStart, hb.tsEnd]).toEqual([
            pageNumOf(h.order),
            intOf(h.pid),
            intOf(h.tgid),
            h.comm,
            u64Of(h.ts),
            h.tsStart,
            h.tsStart + h.ts.length,
          ]);
          expect(hb.hasFreeTs ? hb.freeTs : undefined).toEqual(h.freeTs === undefined ? undefined : u64Of(h.freeTs));
        }
      }),
      { seed: SEED + 2, numRuns: RUNS },
    );
    // Both paths must actually be exercised.
    expect(fast).toBeGreaterThan(1000);
    expect(slow).toBeGreaterThan(50);
  });
});
