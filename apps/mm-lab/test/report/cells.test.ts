import { describe, expect, it } from "vitest";
import { cellsFromRows, type SeedRow } from "../../src/report/cells.js";
import { mean, proportion } from "../../src/report/interval.js";

const rows: SeedRow[] = [
  { policy: "a", seed: 1, params: { g: 256, o: 9 }, values: { fail: 3, bytes: 10, t: null } },
  { policy: "a", seed: 2, params: { g: 256, o: 9 }, values: { fail: 0, bytes: 0, t: 5 } },
  { policy: "b", seed: 1, params: { g: 256, o: 9 }, values: { fail: true, bytes: 4, t: 1 } },
  { policy: "a", seed: 1, params: { g: 512, o: 9 }, values: { fail: false, bytes: 7, t: null } },
];

describe("cellsFromRows", () => {
  it("groups by policy and axes in first-seen order and summarises each metric over its seeds", () => {
    const cells = cellsFromRows(rows, ["g", "o"], { fail: "share", bytes: "mean>=0", t: "mean" });
    expect(cells.map((c) => [c.policy, c.params, c.seeds])).toEqual([
      ["a", { g: 256, o: 9 }, 2],
      ["b", { g: 256, o: 9 }, 1],
      ["a", { g: 512, o: 9 }, 1],
    ]);
    expect(cells[0]?.metrics.fail).toEqual(proportion(1, 2));
    expect(cells[0]?.metrics.bytes).toEqual(mean([10, 0], 0));
    expect(cells[0]?.metrics.bytes?.lo).toBe(0);
    // null = not measured: left out of the mean, and a metric nobody measured is absent.
    expect(cells[0]?.metrics.t).toEqual(mean([5]));
    expect(cells[2]?.metrics.t).toBeUndefined();
    expect(cells[1]?.metrics.fail?.value).toBe(1);
  });

  it("without axes a policy is one cell whatever its params", () => {
    expect(cellsFromRows(rows, [], { bytes: "mean" }).map((c) => c.seeds)).toEqual([3, 1]);
  });
});
