import { describe, expect, it } from "vitest";
import { isMmError, type MmError } from "@mm/api";
import { importCapture, readCaptureDir } from "@mm/capture";
import { fixtureDump, fixtureInput, lineOf, tempCapture } from "./helpers.js";

const dump = fixtureDump();

function importError(text: string, lenient = false): MmError {
  try {
    importCapture(fixtureInput({ pageOwner: text }), { lenient });
  } catch (e) {
    if (isMmError(e)) return e;
    throw e;
  }
  throw new Error("no error");
}

/** The header line of the record that contains byte `at`. */
function recordLineAt(text: string, at: number): number {
  return lineOf(text, "Page allocated via order", text.lastIndexOf("Page allocated via order", at));
}

describe("bad dumps: an error with the line, or a counted skip with lenient", () => {
  it("a dump cut inside a record's stack", () => {
    const at = dump.indexOf("\n ", 5_000_000) + 8; // inside a frame line
    const cut = dump.slice(0, at);
    const e = importError(cut);
    expect(e.code).toBe("PARSE_ERROR");
    expect(e.detail).toMatchObject({ file: "page_owner", line: recordLineAt(cut, at), issue: "TRUNCATED" });
    const imp = importCapture(fixtureInput({ pageOwner: cut }), { lenient: true });
    expect(imp.skipped.TRUNCATED).toEqual({ count: 1, firstLine: recordLineAt(cut, at) });
    const complete = (cut.slice(0, cut.lastIndexOf("Page allocated via order")).match(/^Page allocated via order/gm) ?? []).length;
    expect(imp.placement.placedRecords).toBe(complete);
  });

  it("a dump cut inside a PFN line", () => {
    const pfnAt = dump.indexOf("\nPFN ", 3_000_000) + 1;
    const cut = dump.slice(0, pfnAt + 9);
    const e = importError(cut);
    expect(e.detail).toMatchObject({ file: "page_owner", line: lineOf(cut, "PFN ", pfnAt - 1) });
  });

  it("a corrupt PFN line, a Block that does not hold the PFN, an order beyond MAX_ORDER", () => {
    const pfnAt = dump.indexOf("\nPFN ", 1_000_000) + 1;
    const garbled = `${dump.slice(0, pfnAt)}PFN 12x45 type${dump.slice(pfnAt + 20)}`;
    expect(importError(garbled).detail).toMatchObject({ line: lineOf(garbled, "PFN 12x45"), issue: "BAD_PFN_LINE" });

    const m = /^PFN (\d+) type \S+ Block (\d+) /m.exec(dump.slice(pfnAt))!;
    const wrongBlock = dump.slice(0, pfnAt) + dump.slice(pfnAt).replace(`Block ${m[2]} `, `Block ${Number(m[2]) + 1} `);
    expect(importError(wrongBlock).detail).toMatchObject({ line: recordLineAt(wrongBlock, pfnAt), issue: "BAD_BLOCK" });

    const hdr = dump.lastIndexOf("Page allocated via order 0,", pfnAt);
    const big = `${dump.slice(0, hdr)}Page allocated via order 11,${dump.slice(hdr + 27)}`;
    expect(importError(big).detail).toMatchObject({ line: lineOf(big, "Page allocated via order 11,"), issue: "BAD_ORDER" });
    const lenient = importCapture(fixtureInput({ pageOwner: big }), { lenient: true });
    expect(lenient.skipped.BAD_ORDER?.count).toBe(1);
    expect(lenient.placement.placedRecords).toBe(16710);
  });

  it("overlapping records name both lines", () => {
    const first = dump.slice(0, dump.indexOf("\n\n") + 2);
    const twice = dump + first;
    const e = importError(twice);
    const copyLine = lineOf(twice, "Page allocated via order", dump.length);
    expect(e.detail).toMatchObject({ file: "page_owner", line: copyLine, issue: "OVERLAP" });
    expect(e.message).toContain("the record at line 1");
    const imp = importCapture(fixtureInput({ pageOwner: twice }), { lenient: true });
    expect(imp.skipped.OVERLAP).toEqual({ count: 1, firstLine: copyLine });
    expect(imp.placement.placedRecords).toBe(16711);
  });

  it("a PFN outside every zone", () => {
    const rec = "Page allocated via order 0, mask 0xcc0(GFP_KERNEL), pid 1, tgid 1 (init), ts 5 ns, free_ts 0 ns\n" +
      "PFN 70000 type Unmovable Block 136 type Unmovable Flags 0x0()\n f+0x1/0x2\n\n";
    const text = dump + rec;
    const e = importError(text);
    expect(e.detail).toMatchObject({ line: lineOf(text, "Page allocated via order", dump.length), issue: "OUTSIDE_ZONES" });
    expect(importCapture(fixtureInput({ pageOwner: text }), { lenient: true }).skipped.OUTSIDE_ZONES?.count).toBe(1);
  });

  it("an unparsable optional file is an error naming it, or ignored and reported with lenient", () => {
    const zi = fixtureInput().zoneinfo!.replace("  pages free     3840", "  pages frie     3840");
    let err: unknown;
    try {
      importCapture(fixtureInput({ zoneinfo: zi }));
    } catch (e) {
      err = e;
    }
    expect(isMmError(err, "PARSE_ERROR")).toBe(true);
    expect((err as MmError).detail).toMatchObject({ file: "zoneinfo", line: zi.split("\n").findIndex((l) => l.includes("frie")) + 1 });
    const imp = importCapture(fixtureInput({ zoneinfo: zi }), { lenient: true });
    expect(imp.ignoredFiles.map((f) => f.file)).toEqual(["zoneinfo"]);
    expect(imp.used).not.toContain("zoneinfo");
  });

  it("a directory without a dump", () => {
    const dir = tempCapture({ "proc/zoneinfo.txt": fixtureInput().zoneinfo! });
    let err: unknown;
    try {
      readCaptureDir(dir);
    } catch (e) {
      err = e;
    }
    expect(isMmError(err, "EINVAL")).toBe(true);
  });
});
