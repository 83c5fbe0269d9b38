import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isMmError } from "@mm/api";
import {
  DEPOT_ERAS,
  createStackDepot,
  decodeHandle,
  encodeHandle,
  getExtraBits,
  handleLayout,
  layoutMaxPools,
  setExtraBits,
  type DepotEra,
} from "../src/index.js";
import { trace } from "./helpers.js";

const enc = (era: DepotEra, pool: number, offset: number, extra = 0) => encodeHandle(handleLayout(era), pool, offset, extra);

describe("handle layouts per era (hand-computed bit patterns)", () => {
  it("v4.6: slabindex:22 offset:10 — the first record is handle 0", () => {
    expect(enc("v4.6", 0, 0)).toBe(0x00000000);
    // 3 | (160 >> 4) << 22 = 3 | 10 << 22
    expect(enc("v4.6", 3, 160)).toBe(0x02800003);
    expect(enc("v4.6", (1 << 22) - 1, 16368)).toBe(0xffffffff);
  });

  it("v4.7 (2016 valid-bit fix): slabindex:21 offset:10 valid:1 — bit 31 always set", () => {
    expect(enc("v4.7", 0, 0)).toBe(0x80000000);
    // 3 | 10 << 21 | 1 << 31
    expect(enc("v4.7", 3, 160)).toBe(0x81400003);
    expect(enc("v4.9", 3, 160)).toBe(0x81400003);
  });

  it("v6.1: slabindex:16 offset:10 valid:1 extra:5", () => {
    // 3 | 10 << 16 | 1 << 26
    expect(enc("v6.1", 3, 160)).toBe(0x040a0003);
    // + 31 << 27
    expect(enc("v6.1", 3, 160, 31)).toBe(0xfc0a0003);
  });

  it("v6.7: pool_index:17 offset:10 extra:5, no valid bit — handle 0 is a record again", () => {
    expect(enc("v6.7", 0, 0)).toBe(0);
    expect(enc("v6.7", 3, 160)).toBe(0x00140003);
  });

  it("current: pool_index_plus_1:17 offset:10 extra:5", () => {
    expect(enc("current", 0, 0)).toBe(1);
    // the real 6.19 show_handles sample: handle 27000838 = 0x019C0006 -> pool 5, offset 206 << 4
    expect(enc("current", 5, 206 * 16)).toBe(27000838);
    expect(decodeHandle(handleLayout("current"), 27000838)).toEqual({ poolIndex: 5, offset: 3296, valid: 0, extra: 0 });
    // the documentation's `handle: 42` = pool 41, offset 0
    expect(decodeHandle(handleLayout("current"), 42)).toEqual({ poolIndex: 41, offset: 0, valid: 0, extra: 0 });
    expect(enc("current", 131070, 16368, 31)).toBe(0xffffffff);
  });

  it("max pools addressable per layout", () => {
    expect(layoutMaxPools(handleLayout("v4.6"))).toBe(1 << 22);
    expect(layoutMaxPools(handleLayout("v4.7"))).toBe(1 << 21);
    expect(layoutMaxPools(handleLayout("v6.1"))).toBe(1 << 16);
    expect(layoutMaxPools(handleLayout("v6.7"))).toBe(1 << 17);
    expect(layoutMaxPools(handleLayout("current"))).toBe((1 << 17) - 1);
  });

  it("encode/decode round-trip in every era", () => {
    for (const era of DEPOT_ERAS) {
      const L = handleLayout(era);
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: layoutMaxPools(L) - 1 }),
          fc.integer({ min: 0, max: 1023 }),
          fc.integer({ min: 0, max: 2 ** L.extraBits - 1 }),
          (pool, unit, extra) => {
            const h = encodeHandle(L, pool, unit * 16, extra);
            expect(h).toBeGreaterThanOrEqual(0);
            expect(h).toBeLessThanOrEqual(0xffffffff);
            expect(decodeHandle(L, h)).toEqual({ poolIndex: pool, offset: unit * 16, valid: L.validBits, extra });
          },
        ),
        { numRuns: 200 },
      );
    }
  });

  it("rejects fields that do not fit", () => {
    const L = handleLayout("current");
    for (const bad of [
      () => encodeHandle(L, -1, 0),
      () => encodeHandle(L, 131071, 0),
      () => encodeHandle(L, 0, 8),
      () => encodeHandle(L, 0, 16384),
      () => encodeHandle(L, 0, 0, 32),
    ])
      expect(() => bad()).toThrow(expect.objectContaining({ code: "EINVAL" }));
  });
});

describe("stack_depot_set/get_extra_bits", () => {
  it("sets the top 5 bits, truncating like a bitfield, and leaves 0 alone", () => {
    const h = 0x019c0006;
    // 21 << 27 = 0xA8000000
    expect(setExtraBits("current", h, 21)).toBe(0xa99c0006);
    expect(getExtraBits("current", 0xa99c0006)).toBe(21);
    expect(setExtraBits("current", h, 0x3f)).toBe(0xf99c0006);
    expect(setExtraBits("current", 0xa99c0006, 0)).toBe(h);
    expect(setExtraBits("current", 0, 5)).toBe(0);
    expect(setExtraBits("v6.1", 0x040a0003, 1)).toBe(0x0c0a0003);
  });

  it("eras without the field refuse", () => {
    expect(() => setExtraBits("v4.7", 0x80000000, 1)).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => getExtraBits("v4.6", 1)).toThrow(expect.objectContaining({ code: "EINVAL" }));
  });

  it("a handle with extra bits still fetches its trace", () => {
    for (const era of ["v6.1", "current"] as const) {
      const d = createStackDepot({ era, buckets: 1024 });
      d.save(trace(1), 16, 0xcc0);
      const h = d.save(trace(2), 16, 0xcc0);
      const tagged = setExtraBits(era, h, 0b10110);
      expect(tagged).not.toBe(h);
      expect(d.fetchFrames(tagged)).toEqual(trace(2));
      expect(getExtraBits(era, tagged)).toBe(0b10110);
    }
  });
});

describe("handles the depot hands out", () => {
  it("name the record's pool and 16-byte offset in the era's layout", () => {
    const expected: Record<DepotEra, [number, number]> = {
      "v4.6": [0x00000000, 0x02800000],
      "v4.7": [0x80000000, 0x81400000],
      "v4.9": [0x80000000, 0x81400000],
      "v6.1": [0x04000000, 0x040a0000],
      "v6.7": [0x00000000, 0x00140000],
      current: [0x00000001, 0x00140001],
    };
    for (const era of DEPOT_ERAS) {
      const d = createStackDepot({ era, buckets: 1024 });
      // 16 frames -> 160-byte records in both record layouts: the second sits at offset 160.
      expect([d.save(trace(1), 16, 0xcc0), d.save(trace(2), 16, 0xcc0)]).toEqual(expected[era]);
      d.checkInvariants();
    }
  });

  it("unknown era is a config error", () => {
    try {
      createStackDepot({ era: "v9.9" as DepotEra });
      expect.unreachable();
    } catch (e) {
      expect(isMmError(e, "BAD_CONFIG")).toBe(true);
    }
  });
});
