import { isMmError } from "@mm/api";
import { describe, expect, it } from "vitest";
import {
  PAGE_REPORTING_CAPACITY,
  calculateZoneOrderThreshold,
  capacityFromThreshold,
  fixedCapacity,
  freeLimitedCapacity,
  freeLimitedPerOrderCapacity,
  reportingPolicy,
  REPORTING_POLICIES,
  shiftCapacity,
} from "../src/index.js";
import { FakeArea } from "./helpers/fake-area.js";

const MiB = 256; // pages

/**
 * A 512 MiB single-zone guest with the kernel's watermarks (kernel-spec 1.7): min_free_kbytes =
 * int_sqrt(524288 * 16) = 2896 KiB = 724 pages; gap = max(724 / 4, 131072 * 10 / 10000) = 181.
 */
function guest512(freePages: number): FakeArea {
  const min = Math.floor(Math.floor(Math.sqrt(524288 * 16)) / 4);
  const gap = Math.max(Math.floor(min / 4), Math.floor((131072 * 10) / 10000));
  expect([min, min + gap]).toEqual([724, 905]);
  const area = new FakeArea([{ start: 0, end: 131072, wmarks: [min, min + gap, min + 2 * gap] }]);
  area.fillFree();
  // allocate down to exactly `freePages` free
  while (area.zoneFreePages(0) - 1024 >= freePages) area.alloc(10);
  while (area.zoneFreePages(0) > freePages) area.alloc(0);
  expect(area.zoneFreePages(0)).toBe(freePages);
  return area;
}

function caps(rule: ReturnType<typeof fixedCapacity>, area: FakeArea, minOrder = 9): number[] {
  rule.beginZone(area, 0, minOrder);
  const out: number[] = [];
  for (let o = minOrder; o <= area.maxOrder; o++) out.push(rule.capacity(area, 0, o, minOrder));
  return out;
}

describe("seed 004: 100 MiB free on a 512 MiB machine", () => {
  const area = guest512(100 * MiB);
  it("Pang's rule: order-9 gets 32, order-10 gets 16", () => {
    expect(calculateZoneOrderThreshold(area, 0, 9)).toBe(10);
    expect(caps(freeLimitedCapacity(), area)).toEqual([32, 16]);
    expect(caps(freeLimitedPerOrderCapacity(), area)).toEqual([32, 16]);
  });
  it("Duyck's shift: order-9 gets 32, order-10 gets 16", () => {
    expect(caps(shiftCapacity(), area)).toEqual([32, 16]);
  });
  it("the kernel: 32 at both orders (32 x 4 MiB = 128 MiB isolated at order 10)", () => {
    expect(caps(fixedCapacity(), area)).toEqual([32, 32]);
    expect(PAGE_REPORTING_CAPACITY * 1024 * 4096).toBe(128 << 20);
  });
});

describe("Pang's threshold elsewhere (kernel-spec 8.5)", () => {
  it("between 64 MiB + low and 128 MiB + low it is 32/16; below 64 MiB + low 16/8; above 128 MiB + low 32/32", () => {
    const low = 905;
    expect(caps(freeLimitedCapacity(), guest512(64 * MiB + low))).toEqual([32, 16]); // 16384 <= threshold
    expect(caps(freeLimitedCapacity(), guest512(64 * MiB + low - 1))).toEqual([16, 8]);
    expect(caps(freeLimitedCapacity(), guest512(128 * MiB + low))).toEqual([32, 32]);
    expect(caps(freeLimitedCapacity(), guest512(128 * MiB + low - 1))).toEqual([32, 16]);
  });

  it("with a low reporting order the capacity halves per order and never drops below 1", () => {
    const area = guest512(20 * MiB);
    // pages_threshold = 5120 - 905 = 4215: 32 << 7 = 4096 fits, 32 << 8 does not -> threshold 8
    expect(calculateZoneOrderThreshold(area, 0, 2)).toBe(8);
    expect(caps(freeLimitedCapacity(), area, 2)).toEqual([32, 32, 32, 32, 32, 32, 16, 8, 4]);
    expect(capacityFromThreshold(20, 8)).toBe(1);
    expect(capacityFromThreshold(7, 8)).toBe(32);
  });

  it("negative headroom puts the threshold at the reporting order", () => {
    const area = guest512(800);
    expect(calculateZoneOrderThreshold(area, 0, 9)).toBe(9);
    expect(caps(freeLimitedCapacity(), area)).toEqual([16, 8]);
  });

  it("the once-per-pass rule keeps its threshold while free memory changes; the per-order rule follows it", () => {
    const area = guest512(150 * MiB);
    const once = freeLimitedCapacity();
    const fresh = freeLimitedPerOrderCapacity();
    once.beginZone(area, 0, 9);
    fresh.beginZone(area, 0, 9);
    expect([once.capacity(area, 0, 10, 9), fresh.capacity(area, 0, 10, 9)]).toEqual([32, 32]);
    // a user allocation of 60 MiB lands while the pass runs
    for (let i = 0; i < 15; i++) expect(area.alloc(10)).toBeGreaterThanOrEqual(0);
    expect([once.capacity(area, 0, 10, 9), fresh.capacity(area, 0, 10, 9)]).toEqual([32, 16]);
  });
});

describe("Duyck's shift", () => {
  it("is independent of free memory", () => {
    expect(caps(shiftCapacity(), guest512(10 * MiB))).toEqual([32, 16]);
    expect(caps(shiftCapacity(), guest512(400 * MiB))).toEqual([32, 16]);
  });
  it("caps every batch at 32 reporting-order blocks of bytes, and at least 1 entry", () => {
    const area = guest512(400 * MiB);
    const c = caps(shiftCapacity(), area, 3);
    expect(c).toEqual([32, 16, 8, 4, 2, 1, 1, 1]);
    // bytes per full batch: constant while the shift is above 1
    for (let i = 0; i < 5; i++) expect(c[i] * 2 ** (3 + i)).toBe(32 * 2 ** 3);
  });
});

describe("policy catalogue", () => {
  it("names every pair once and the kernel is `fixed`", () => {
    const names = REPORTING_POLICIES.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names[0]).toBe("fixed");
    expect(reportingPolicy("shift-reserve").capacityRule().name).toBe("shift");
    expect(reportingPolicy("pang").mechanism().name).toBe("reinit");
  });
  it("an unknown name is EINVAL", () => {
    let err: unknown;
    try {
      reportingPolicy("nope");
    } catch (e) {
      err = e;
    }
    expect(isMmError(err, "EINVAL")).toBe(true);
  });
});
