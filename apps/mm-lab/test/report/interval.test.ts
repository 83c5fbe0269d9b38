import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { mean, proportion, t975 } from "../../src/report/interval.js";

describe("intervals", () => {
  it("Wilson: the textbook value for 3 of 10, and non-degenerate at 0/n and n/n", () => {
    // Wilson 95 % for 3/10 by hand: centre (0.3 + z²/20) / (1 + z²/10) = 0.3555, half-width 0.2477.
    const e = proportion(3, 10);
    expect(e.lo).toBeCloseTo(0.1078, 4);
    expect(e.hi).toBeCloseTo(0.6032, 4);
    expect(proportion(0, 10)).toEqual({ value: 0, lo: 0, hi: expect.closeTo(0.2775, 4) as number });
    expect(proportion(10, 10).lo).toBeCloseTo(0.7225, 4);
    expect(proportion(10, 10).hi).toBe(1);
  });

  it("Wilson bounds hold the estimate and stay in [0, 1]", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, f) => {
        const k = Math.round(f * n);
        const e = proportion(k, n);
        return e.lo !== null && e.hi !== null && 0 <= e.lo && e.lo <= e.value && e.value <= e.hi && e.hi <= 1;
      }),
    );
  });

  it("t interval: mean ± t·s/√n, none for one value", () => {
    // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, s = 2.138, t_{0.975,7} = 2.365 -> half-width 1.7875.
    const e = mean([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(e.value).toBe(5);
    expect((e.hi ?? 0) - 5).toBeCloseTo(1.7875, 3);
    expect(mean([3])).toEqual({ value: 3, lo: null, hi: null });
    // Two seeds 0 and 10: t = 12.706, half-width 63.5; the floor keeps a size from going negative.
    expect(mean([0, 10]).lo).toBeCloseTo(5 - 63.53, 1);
    expect(mean([0, 10], 0)).toEqual({ value: 5, lo: 0, hi: expect.closeTo(68.53, 1) as number });
  });

  it("t quantile: table and series meet at df 30/31 and tend to z", () => {
    expect(t975(30)).toBe(2.042);
    expect(t975(31)).toBeCloseTo(2.0395, 3);
    expect(t975(120)).toBeCloseTo(1.9799, 3);
    expect(t975(1e9)).toBeCloseTo(1.96, 3);
  });
});
