/** Snapshot diffs: the arithmetic, the streaming bound, determinism, and bad input. */
import { isMmError } from "@mm/api";
import { formatSnapshotDiff, generatePageOwnerDump, SnapshotDiff, SnapshotReader } from "@mm/page-owner";
import { describe, expect, it } from "vitest";
import { randomStacks, stackPrint } from "./kernel-print.js";

function read(d: SnapshotDiff, side: 0 | 1, chunks: Iterable<string>, by?: "stack" | "handle"): SnapshotReader {
  const r = new SnapshotReader(d, side, { strict: true, ...(by === undefined ? {} : { by }) });
  for (const c of chunks) r.push(c);
  r.end();
  return r;
}

describe("SnapshotDiff", () => {
  it("per key: before, after, delta; gained/lost/new/gone totals; most gained first", () => {
    const d = new SnapshotDiff();
    d.add(0, "a", 5);
    d.add(0, "b", 3);
    d.add(0, "gone", 2);
    d.add(1, "a", 9);
    d.add(1, "b", 3);
    d.add(1, "new", 1);
    d.add(0, 7, 4);
    d.add(1, 7, 1);
    expect(d.changes()).toEqual([
      { key: "a", before: 5, after: 9, delta: 4 },
      { key: "new", before: 0, after: 1, delta: 1 },
      { key: "gone", before: 2, after: 0, delta: -2 },
      { key: 7, before: 4, after: 1, delta: -3 },
    ]);
    expect(d.totals()).toEqual({
      pagesBefore: 14,
      pagesAfter: 14,
      grew: 2,
      gained: 5,
      shrank: 2,
      lost: 5,
      added: 1,
      removed: 1,
      unchanged: 1,
      keys: 5,
    });
    expect(formatSnapshotDiff(d, (h) => (h === 7 ? " f7+0x0/0x1" : undefined))).toBe(
      "+4 pages (5 -> 9)\na\n\n+1 pages (0 -> 1)\nnew\n\n-2 pages (2 -> 0)\ngone\n\n" +
        "-3 pages (4 -> 1)\n f7+0x0/0x1\nhandle: 7\n\n" +
        "total: +0 pages (14 -> 14); 2 grew by 5 pages (1 new), 2 shrank by 5 pages (1 gone), 1 unchanged\n",
    );
  });

  it("orders the same past the packed sort's range (|delta| >= 2^31)", () => {
    const d = new SnapshotDiff();
    d.add(1, "big", 2 ** 33);
    d.add(1, "one", 1);
    d.add(0, "lost", 2 ** 32);
    d.add(1, "one-too", 1);
    expect(d.changes().map((c) => [c.key, c.delta])).toEqual([
      ["big", 2 ** 33],
      ["one", 1],
      ["one-too", 1],
      ["lost", -(2 ** 32)],
    ]);
  });

  it("streams: distinct keys held, not records (300 KB vs 18 MB of dump over the same 50 stacks)", () => {
    const sizes: number[] = [];
    let pages = 0;
    for (const bytes of [300_000, 18_000_000]) {
      const d = new SnapshotDiff();
      // the generator yields 64 KiB chunks made on the fly: the dump is never held whole
      const r = read(d, 0, generatePageOwnerDump({ seed: 5, bytes, stacks: 50, chunkSize: 1 << 16 }));
      expect(r.format).toBe("page_owner");
      sizes.push(d.size);
      pages = d.pages[0];
    }
    expect(pages).toBeGreaterThan(50_000);
    expect(sizes[0]).toBeLessThanOrEqual(50);
    expect(sizes[1]).toBeLessThanOrEqual(50);
  });

  it("deterministic: same inputs, same text, whatever the chunking", () => {
    const a = [...generatePageOwnerDump({ seed: 1, bytes: 400_000, stacks: 80 })].join("");
    const b = [...generatePageOwnerDump({ seed: 2, bytes: 400_000, stacks: 80 })].join("");
    const texts = [1 << 20, 333, 4096].map((size) => {
      const d = new SnapshotDiff();
      const chunk = (s: string): string[] => Array.from({ length: Math.ceil(s.length / size) }, (_, i) => s.slice(i * size, (i + 1) * size));
      read(d, 0, chunk(a));
      read(d, 1, chunk(b));
      return formatSnapshotDiff(d);
    });
    expect(texts[1]).toBe(texts[0]);
    expect(texts[2]).toBe(texts[0]);
    expect(texts[0].split("\n").length).toBeGreaterThan(20);
  });

  it("show_handles by handle; formats told by the first non-blank line; bad combinations are MmError", () => {
    const list = randomStacks(40, 3);
    const d = new SnapshotDiff();
    expect(read(d, 0, ["\n\n", stackPrint(list, "show_handles")], "handle").format).toBe("show_handles");
    const later = list.map((s, i) => ({ ...s, count: i % 2 === 0 ? s.count + 1 : s.count }));
    read(d, 1, [stackPrint(later, "show_handles")], "handle");
    for (const c of d.changes()) expect(typeof c.key).toBe("number");
    // every even stack gained one page (count-0 stacks, unprinted before, show up with 1)
    expect(d.totals()).toMatchObject({ grew: 20, gained: 20, shrank: 0, lost: 0 });

    const codes: string[] = [];
    const attempt = (fn: () => void): void => {
      try {
        fn();
        codes.push("ok");
      } catch (e) {
        codes.push(isMmError(e) ? e.code : "other");
      }
    };
    attempt(() => read(new SnapshotDiff(), 0, [stackPrint(list, "show_stacks")], "handle"));
    attempt(() => read(new SnapshotDiff(), 0, [stackPrint(list, "show_stacks_handles")]));
    attempt(() => read(new SnapshotDiff(), 0, [[...generatePageOwnerDump({ seed: 1, bytes: 10_000 })].join("")], "handle"));
    attempt(() => read(new SnapshotDiff(), 0, ["handle: 1\nnr_base_pages: nope\n\n"]));
    attempt(() => read(new SnapshotDiff(), 0, ["Page allocated via order 0, mask garbage\n\n"]));
    attempt(() => read(new SnapshotDiff(), 0, [""]));
    expect(codes).toEqual(["BAD_CONFIG", "BAD_CONFIG", "BAD_CONFIG", "PARSE_ERROR", "PARSE_ERROR", "ok"]);
  });
});
