import { isMmError } from "@mm/api";
import { describe, expect, it } from "vitest";
import { createScatterlist, sgChainLength, sgInitTable, sgNext, sgSetPage } from "../src/index.js";

function snapshot(sgl: ReturnType<typeof createScatterlist>): string {
  return JSON.stringify([Array.from(sgl.pfn), Array.from(sgl.order), Array.from(sgl.end)]);
}

describe("scatterlist", () => {
  it("sg_init_table clears the entries and marks only the last one", () => {
    const sgl = createScatterlist(32);
    expect(Array.from(sgl.end).reduce((a, b) => a + b)).toBe(1);
    expect(sgl.end[31]).toBe(1);
    expect(Array.from(sgl.pfn).every((p) => p === -1)).toBe(true);
    sgSetPage(sgl, 5, 4096, 9);
    sgInitTable(sgl, 16, 16);
    // entries outside the re-initialised range keep what they had, as in C
    expect(sgl.pfn[5]).toBe(4096);
    expect(sgl.end[31]).toBe(1);
  });

  it("sg_init_table of a head range moves the end marker there", () => {
    const sgl = createScatterlist(32);
    sgInitTable(sgl, 0, 8);
    expect(sgl.end[7]).toBe(1);
    expect(sgNext(sgl, 6)).toBe(7);
    expect(sgNext(sgl, 7)).toBe(-1);
  });

  it("the chain from an entry ends at the end marker; an empty entry or no marker breaks it", () => {
    const sgl = createScatterlist(32);
    for (let i = 28; i < 32; i++) sgSetPage(sgl, i, i * 512, 9);
    expect(sgChainLength(sgl, 28)).toBe(4);
    expect(sgChainLength(sgl, 27)).toBe(-1); // entry 27 holds no page
    sgl.end[31] = 0;
    expect(sgChainLength(sgl, 28)).toBe(-1); // runs off the table
  });

  it("bad ranges raise EINVAL and leave the table as it was", () => {
    const sgl = createScatterlist(32);
    sgSetPage(sgl, 31, 1024, 10);
    const before = snapshot(sgl);
    for (const [s, n] of [
      [30, 3],
      [-1, 2],
      [0, 0],
    ]) {
      let err: unknown;
      try {
        sgInitTable(sgl, s, n);
      } catch (e) {
        err = e;
      }
      expect(isMmError(err, "EINVAL")).toBe(true);
      expect(snapshot(sgl)).toBe(before);
    }
    expect(() => createScatterlist(0)).toThrow(/EINVAL/);
  });
});
