import { isMmError } from "@mm/api";
import { describe, expect, it } from "vitest";
import { cStructLayout, PAGE_OWNER_ERAS, pageOwnerClientSize, pageOwnerPageExtBytes } from "../src/index.js";

describe("cStructLayout", () => {
  it("pads members to their alignment and the struct to its largest", () => {
    const l = cStructLayout([
      { name: "c", type: "char" },
      { name: "l", type: "long" },
      { name: "s", type: "short" },
    ]);
    expect(l.offsets).toEqual({ c: 0, l: 8, s: 16 });
    expect(l.size).toBe(24);
    expect(l.align).toBe(8);
  });

  it("lays out struct page_owner of 6.10 as kernel-spec §4.2 gives it", () => {
    const l = cStructLayout(PAGE_OWNER_ERAS["6.10"].members);
    expect(l.offsets).toEqual({
      order: 0,
      last_migrate_reason: 2,
      gfp_mask: 4,
      handle: 8,
      free_handle: 12,
      ts_nsec: 16,
      free_ts_nsec: 24,
      comm: 32,
      pid: 48,
      tgid: 52,
      free_pid: 56,
      free_tgid: 60,
    });
    expect(l.size).toBe(64);
  });

  it("rejects duplicate members and bad counts", () => {
    expect(() => cStructLayout([{ name: "a", type: "int" }, { name: "a", type: "int" }])).toThrow(/duplicate/);
    let err: unknown;
    try {
      cStructLayout([{ name: "a", type: "int", count: 0 }]);
    } catch (e) {
      err = e;
    }
    expect(isMmError(err, "BAD_CONFIG")).toBe(true);
  });
});

describe("page_owner era profiles", () => {
  it("give 88, 24, 64 and 72 bytes of page_ext per page", () => {
    expect(pageOwnerPageExtBytes("v4.6")).toBe(88);
    expect(pageOwnerPageExtBytes("v4.7")).toBe(24);
    expect(pageOwnerPageExtBytes("6.1")).toBe(64);
    expect(pageOwnerPageExtBytes("6.10")).toBe(72);
  });

  it("declare client sizes without the flags word", () => {
    expect(pageOwnerClientSize("v4.6")).toBe(80);
    expect(pageOwnerClientSize("v4.7")).toBe(16);
    expect(pageOwnerClientSize("6.1")).toBe(56);
    expect(pageOwnerClientSize("6.10")).toBe(64);
  });

  it("store stacks inline only before 4.7", () => {
    expect(PAGE_OWNER_ERAS["v4.6"].storage).toBe("inline8");
    expect(PAGE_OWNER_ERAS["v4.7"].storage).toBe("depot");
  });
});
