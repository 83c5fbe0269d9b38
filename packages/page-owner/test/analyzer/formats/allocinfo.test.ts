/** /proc/allocinfo reader and sorter against texts printed as allocinfo_show() prints them. */
import { spawnSync } from "node:child_process";
import { isMmError } from "@mm/api";
import {
  type AllocinfoIssue,
  AllocinfoParser,
  allocinfoTotals,
  formatAllocinfo,
  parseAllocinfoText,
  sortAllocinfo,
} from "@mm/page-owner";
import { describe, expect, it } from "vitest";
import { allocinfoShow, randomTags } from "./kernel-print.js";

const tags = randomTags(500, 11);

/** LC_ALL=C sort (coreutils), when the machine has it. */
function coreutilsSort(text: string, args: readonly string[]): string | null {
  const r = spawnSync("sort", [...args], { input: text, env: { ...process.env, LC_ALL: "C" }, encoding: "latin1" });
  return r.status === 0 ? r.stdout : null;
}
const haveSort = coreutilsSort("2\n1\n", ["-g"]) === "1\n2\n";
if (!haveSort) console.warn("allocinfo.test: no coreutils sort on this machine: the sort -g comparisons are skipped");

describe("/proc/allocinfo", () => {
  for (const version of ["1.0", "2.0"] as const) {
    it(`version ${version}: every field back, and re-printed byte for byte`, () => {
      const text = allocinfoShow(tags, version);
      const { version: v, entries } = parseAllocinfoText(text, { strict: true });
      expect(v).toBe(version);
      expect(entries.map((e) => [e.bytes, e.calls, e.filename, e.lineno, e.modname, e.func, e.accurate])).toEqual(
        tags.map((t) => [t.bytes, t.calls, t.filename, t.lineno, t.modname, t.func, version === "1.0" || !t.inaccurate]),
      );
      expect(formatAllocinfo(entries, version)).toBe(text);
    });
  }

  it("sorted by bytes is LC_ALL=C sort -g (and -r), by calls sort -g -k2,2, ties included", { skip: !haveSort }, () => {
    // many equal byte counts: the tie-break (whole line bytes) matters
    const text = allocinfoShow(tags, "2.0");
    const { entries } = parseAllocinfoText(text, { strict: true });
    const body = text.split("\n").slice(2).join("\n");
    for (const [reverse, args] of [[false, ["-g"]], [true, ["-g", "-r"]]] as const) {
      const ours = formatAllocinfo(sortAllocinfo(entries, "bytes", reverse), "2.0").split("\n").slice(2).join("\n");
      expect(ours).toBe(coreutilsSort(body, args));
    }
    const calls = formatAllocinfo(sortAllocinfo(entries, "calls"), "2.0").split("\n").slice(2).join("\n");
    expect(calls).toBe(coreutilsSort(body, ["-g", "-k2,2"]));
  });

  it("sorted by tag: file, then line number as a number, then module, then function", () => {
    const { entries } = parseAllocinfoText(allocinfoShow(tags, "2.0"));
    const s = sortAllocinfo(entries, "tag");
    for (let i = 1; i < s.length; i++) {
      const a = s[i - 1];
      const b = s[i];
      expect(a.filename < b.filename || (a.filename === b.filename && a.lineno <= b.lineno)).toBe(true);
    }
    expect(sortAllocinfo(entries, "none")).toEqual(entries);
  });

  it("a sort -g copy without its header in front still parses; totals add up", () => {
    const text = allocinfoShow(tags, "2.0");
    const lines = text.split("\n").filter((l) => l !== "");
    const moved = [...lines.slice(2), lines[1], lines[0]].join("\n");
    const { version, entries } = parseAllocinfoText(moved, { strict: true });
    expect(version).toBe("2.0");
    const t = allocinfoTotals(entries);
    expect(t.sites).toBe(tags.length);
    expect(t.bytes).toBe(tags.reduce((a, x) => a + x.bytes, 0n));
    expect(t.inaccurate).toBe(tags.filter((x) => x.inaccurate).length);
  });

  it("malformed lines: stable codes and lines; strict throws MmError PARSE_ERROR", () => {
    const head = "allocinfo - version: 1.0\n#     <size>  <calls> <tag info>\n";
    const cases: [string, string, number][] = [
      [`${head}        4096        1 mm/a.c:1 func:f accurate:no \n`, "VERSION_MISMATCH", 3],
      [`allocinfo - version: 3.0\n`, "BAD_VERSION", 1],
      [`${head}allocinfo - version: 2.0\n`, "BAD_VERSION", 3],
      [`${head}        4096 mm/a.c:1 func:f \n`, "BAD_LINE", 3],
      [`${head}        4096        1 mm/a.c func:f \n`, "BAD_LINE", 3],
      [`${head}9223372036854775808        1 mm/a.c:1 func:f \n`, "OUT_OF_RANGE", 3],
    ];
    for (const [text, code, line] of cases) {
      const issues: AllocinfoIssue[] = [];
      parseAllocinfoText(text, { onIssue: (i) => issues.push(i) });
      expect(issues.map((i) => [i.code, i.line]), text).toEqual([[code, line]]);
      expect(() => parseAllocinfoText(text, { strict: true })).toThrow(/PARSE_ERROR/);
      try {
        parseAllocinfoText(text, { strict: true });
      } catch (e) {
        expect(isMmError(e, "PARSE_ERROR")).toBe(true);
      }
    }
    // negative bytes (s64), a trailing space stripped, CRLF: all fine
    const ok = `${head}       -4096        0 mm/a.c:1 func:f\r\n         512        1 mm/b.c:2 [xfs] func:g \n`;
    expect(parseAllocinfoText(ok, { strict: true }).entries.map((e) => [e.bytes, e.modname])).toEqual([
      [-4096n, null],
      [512n, "xfs"],
    ]);
  });

  it("same entries whatever the chunking", () => {
    const text = allocinfoShow(tags, "2.0");
    const whole = parseAllocinfoText(text).entries;
    const got: unknown[] = [];
    const p = new AllocinfoParser((e) => got.push(e));
    const b = Buffer.from(text);
    for (let i = 0; i < b.length; i += 13) p.push(b.subarray(i, i + 13));
    p.end();
    expect(got).toEqual(whole);
  });
});
