/** page_owner_stacks/ readers against texts printed as stack_print() prints them. */
import { isMmError } from "@mm/api";
import {
  formatStackPages,
  HandleFrames,
  PageOwnerStacksParser,
  parsePageOwnerStacksText,
  sortStacks,
  StackTable,
  type StacksIssue,
} from "@mm/page-owner";
import { describe, expect, it } from "vitest";
import { randomStacks, stackPrint } from "./kernel-print.js";

const list = randomStacks(300, 7);
const printed = list.filter((s) => s.count >= 1);

describe("page_owner_stacks formats", () => {
  it("show_stacks (6.9 and 6.19 print the same bytes): frames and counts, in list order", () => {
    const t69 = stackPrint(list, "show_stacks", 0, "6.9");
    expect(stackPrint(list, "show_stacks", 0, "6.19")).toBe(t69);
    const { format, entries } = parsePageOwnerStacksText(t69, { strict: true });
    expect(format).toBe("show_stacks");
    expect(entries.map((e) => [e.framesText, e.nrBasePages, e.handle])).toEqual(
      printed.map((s) => [s.frames.map((f) => ` ${f}`).join("\n"), s.count, null]),
    );
  });

  it("show_handles: handles as %d (negative above 2^31), counts; count_threshold filters", () => {
    const text = stackPrint(list, "show_handles", 100);
    const { format, entries } = parsePageOwnerStacksText(text, { strict: true });
    expect(format).toBe("show_handles");
    const want = list.filter((s) => s.count >= 100);
    expect(entries.map((e) => [e.handle, e.nrBasePages])).toEqual(want.map((s) => [s.handle | 0, s.count]));
    expect(entries.some((e) => (e.handle ?? 0) < 0)).toBe(true);
  });

  it("show_stacks_handles is unfiltered; the join gives show_stacks back byte for byte", () => {
    const frames = new HandleFrames();
    for (const e of parsePageOwnerStacksText(stackPrint(list, "show_stacks_handles", 5000), { strict: true }).entries) frames.add(e);
    expect(frames.size).toBe(list.length); // count 0 and under-threshold stacks too
    const table = new StackTable(frames);
    for (const e of parsePageOwnerStacksText(stackPrint(list, "show_handles"), { strict: true }).entries) table.add(e);
    expect(table.unresolved).toBe(0);
    expect(formatStackPages(table.rows)).toBe(stackPrint(list, "show_stacks"));
    expect(table.totalPages).toBe(printed.reduce((a, s) => a + s.count, 0));
  });

  it("sorts by pages (stable), by handle as u32, or keeps the list order", () => {
    const table = new StackTable();
    for (const e of parsePageOwnerStacksText(stackPrint(list, "show_handles")).entries) table.add(e);
    const byPages = sortStacks(table.rows, "pages");
    for (let i = 1; i < byPages.length; i++) expect(byPages[i - 1].nrBasePages).toBeGreaterThanOrEqual(byPages[i].nrBasePages);
    const byHandle = sortStacks(table.rows, "handle").map((r) => (r.handle ?? 0) >>> 0);
    expect(byHandle).toEqual([...byHandle].sort((a, b) => a - b));
    expect(sortStacks(table.rows, "list")).toEqual(table.rows);
    expect(new Set(byPages)).toEqual(new Set(table.rows));
  });

  it("parses the same whatever the chunking, and with CRLF line ends", () => {
    const text = stackPrint(list, "show_stacks_handles");
    const whole = parsePageOwnerStacksText(text).entries;
    const buf = Buffer.from(text);
    for (const size of [1, 7, 4096]) {
      const got: unknown[] = [];
      const p = new PageOwnerStacksParser((e) => got.push(e), { strict: true });
      for (let i = 0; i < buf.length; i += size) p.push(buf.subarray(i, i + size));
      p.end();
      expect(got).toEqual(whole);
    }
    expect(parsePageOwnerStacksText(text.replaceAll("\n", "\r\n"), { strict: true }).entries).toEqual(whole);
    // the last blank line missing (a truncated copy) still closes the last block
    expect(parsePageOwnerStacksText(text.slice(0, -1), { strict: true }).entries).toEqual(whole);
  });

  it("malformed input: each issue has its stable code and line, the block is skipped, strict throws", () => {
    const cases: [string, string, number][] = [
      [" a+0x1/0x2\nnr_base_pages: x\n\n", "BAD_NUMBER", 2],
      [" a+0x1/0x2\nnr_base_pages: 2147483648\n\n", "BAD_NUMBER", 2],
      ["handle: 12ab\nnr_base_pages: 1\n\n", "BAD_NUMBER", 1],
      [" a+0x1/0x2\nnr_base_pages: 1\n a+0x1/0x2\n\n", "BAD_BLOCK", 3],
      ["nr_base_pages: 3\n\n", "BAD_BLOCK", 1],
      [" a+0x1/0x2\nhandle: 5\nnr_base_pages: 3\n\n", "BAD_BLOCK", 1],
      [" a+0x1/0x2\nstack_count: 3\n\n", "GARBAGE", 2],
      ["handle: 5\nnr_base_pages: 3\n\nhandle: 5\nnr_base_pages: 4\n\n", "DUPLICATE", 4],
      ["handle: 5\nnr_base_pages: 3\n\n a+0x1/0x2\nnr_base_pages: 4\n\n", "MIXED_FORMAT", 4],
    ];
    for (const [text, code, line] of cases) {
      const issues: StacksIssue[] = [];
      parsePageOwnerStacksText(text, { onIssue: (i) => issues.push(i) });
      expect(issues.map((i) => [i.code, i.line]), text).toEqual([[code, line]]);
      try {
        parsePageOwnerStacksText(text, { strict: true });
        expect.unreachable();
      } catch (e) {
        expect(isMmError(e, "PARSE_ERROR")).toBe(true);
      }
    }
    // good blocks around a bad one survive
    const mixed = `handle: 1\nnr_base_pages: 1\n\nhandle: x\nnr_base_pages: 1\n\nhandle: 3\nnr_base_pages: 3\n\n`;
    expect(parsePageOwnerStacksText(mixed).entries.map((e) => e.handle)).toEqual([1, 3]);
  });

  it("a line without end is cut at maxLineLength, not held", () => {
    const issues: StacksIssue[] = [];
    const p = new PageOwnerStacksParser(() => {}, { maxLineLength: 100, onIssue: (i) => issues.push(i) });
    for (let i = 0; i < 100; i++) p.push(Buffer.alloc(1000, 0x41));
    p.end();
    expect(issues.map((i) => i.code)).toEqual(["LINE_TOO_LONG", "GARBAGE"]);
  });

  it("round trip: formatStackPages re-prints a show_handles read exactly", () => {
    const text = stackPrint(list, "show_handles");
    const table = new StackTable();
    for (const e of parsePageOwnerStacksText(text).entries) table.add(e);
    expect(formatStackPages(table.rows)).toBe(text);
  });
});
