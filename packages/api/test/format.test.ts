import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  formatGfp,
  formatGfpMask,
  formatPageFlags,
  gfpMigratetype,
  GFP_HIGHUSER_MOVABLE,
  GFP_KERNEL,
  __GFP_COMP,
  __GFP_NOWARN,
  MIGRATE_MOVABLE,
  MIGRATE_RECLAIMABLE,
  MIGRATE_UNMOVABLE,
  MmError,
  isMmError,
  PG_head,
  PG_slab,
} from "../src/index.js";

const dump = gunzipSync(
  readFileSync(new URL("../../../fixtures/kernel-6.1-256M/page_owner.txt.gz", import.meta.url)),
).toString("latin1");

describe("%pGg", () => {
  it("prints composites first, then bits", () => {
    expect(formatGfp(GFP_KERNEL | __GFP_NOWARN)).toBe("GFP_KERNEL|__GFP_NOWARN");
    expect(formatGfpMask(GFP_HIGHUSER_MOVABLE | __GFP_COMP)).toBe("0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP)");
    expect(formatGfpMask(0)).toBe("0x0()");
    expect(formatGfp(0x820, "current")).toBe("GFP_ATOMIC");
    expect(formatGfp(0x40000000)).toBe("0x40000000");
  });

  it("reproduces every mask of the real 6.1 dump byte for byte", () => {
    const seen = new Map<string, number>();
    for (const m of dump.matchAll(/mask (0x[0-9a-f]+)\(([^)]*)\)/g)) seen.set(m[0], Number.parseInt(m[1], 16));
    expect(seen.size).toBeGreaterThan(30);
    for (const [text, value] of seen) expect(`mask ${formatGfpMask(value, "6.1")}`).toBe(text);
  });

  it("maps gfp to migratetype", () => {
    expect(gfpMigratetype(GFP_KERNEL)).toBe(MIGRATE_UNMOVABLE);
    expect(gfpMigratetype(GFP_HIGHUSER_MOVABLE)).toBe(MIGRATE_MOVABLE);
    expect(gfpMigratetype(0x12cd0)).toBe(MIGRATE_RECLAIMABLE);
  });
});

describe("%pGp", () => {
  it("matches the fixture's flag words", () => {
    expect(formatPageFlags(0, 0, 1)).toBe("0x8000000000000(node=0|zone=1)");
    expect(formatPageFlags((1 << PG_slab) | (1 << PG_head), 0, 1)).toBe("0x8000000010200(slab|head|node=0|zone=1)");
  });

  it("reproduces every flags text of the dump from its numeric value", () => {
    const seen = new Set<string>();
    for (const m of dump.matchAll(/Flags (0x[0-9a-f]+)\([^)]*\)/g)) seen.add(m[0]);
    for (const text of seen) {
      const full = BigInt(/0x[0-9a-f]+/.exec(text)![0]);
      const low = Number(full & 0xffffffffn);
      const zone = Number((full >> 51n) & 7n);
      const node = Number((full >> 54n) & 1023n);
      expect(`Flags ${formatPageFlags(low, node, zone)}`).toBe(text);
    }
  });
});

describe("MmError", () => {
  it("carries a stable code", () => {
    const e = new MmError("DOUBLE_FREE", "pfn 5 is already free", { pfn: 5 });
    expect(isMmError(e, "DOUBLE_FREE")).toBe(true);
    expect(isMmError(e, "BAD_ORDER")).toBe(false);
    expect(e.detail).toEqual({ pfn: 5 });
  });
});
