import { readFileSync } from "node:fs";
import { isMmError, PAGES_PER_SECTION } from "@mm/api";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  byteCounter,
  createPageExt,
  PAGE_OWNER_ERAS,
  pageOwnerClientSize,
  presentSections,
  type FlagsWordPolicy,
  type PageExt,
  type PageExtOps,
  type PageOwnerEra,
  type PfnRange,
} from "../src/index.js";

const FOUR_GIB: PfnRange[] = [{ startPfn: 0, endPfn: 1 << 20 }];

/** page_owner as a page_ext client of the given era (fields are a small stand-in). */
function ownerOps(era: PageOwnerEra, need = true): PageExtOps<{ handle: { kind: "u32" } }> {
  return {
    name: "page_owner",
    size: pageOwnerClientSize(era),
    needSharedFlags: true,
    fields: { handle: { kind: "u32" } },
    need: () => need,
  };
}

function bootOwner(era: PageOwnerEra, ranges: readonly PfnRange[]): { pe: PageExt; lines: string[] } {
  const lines: string[] = [];
  // Eras before 6.1 always counted the flags word; the profiles need it anyway.
  const flagsWord: FlagsWordPolicy = PAGE_OWNER_ERAS[era].inlineInPageExt ? "always" : "shared";
  const pe = createPageExt({ ranges, log: (l) => lines.push(l), flagsWord });
  pe.register(ownerOps(era));
  pe.init();
  pe.checkInvariants();
  return { pe, lines };
}

describe("the seed and fixture figures", () => {
  it("4 GiB with page_owner before stackdepot: 92274688 bytes (seed 000)", () => {
    const { pe, lines } = bootOwner("v4.6", FOUR_GIB);
    expect(pe.tables.length).toBe(32);
    expect(pe.entrySize).toBe(88);
    expect(pe.totalUsage).toBe(92274688);
    expect(lines).toEqual(["allocated 92274688 bytes of page_ext"]);
  });

  it("4 GiB with the stackdepot handle: 25165824 bytes (seed 000)", () => {
    const { pe, lines } = bootOwner("v4.7", FOUR_GIB);
    expect(pe.totalUsage).toBe(25165824);
    expect(lines).toEqual(["allocated 25165824 bytes of page_ext"]);
  });

  it("4 GiB with the 6.10+ record: 75497472 bytes", () => {
    expect(bootOwner("6.10", FOUR_GIB).pe.totalUsage).toBe(75497472);
  });

  it("reproduces the real 6.1 kernel's line from the fixture's own memory map", () => {
    const dmesg = readFileSync(
      new URL("../../../fixtures/kernel-6.1-256M/proc/dmesg.txt", import.meta.url),
      "latin1",
    );
    // "Early memory node ranges": the memblock ranges sparse_init marks present.
    const ranges = [...dmesg.matchAll(/ node +0: \[mem (0x[0-9a-f]+)-(0x[0-9a-f]+)\]/g)].map((m) => ({
      startPfn: Number(BigInt(m[1]) >> 12n),
      endPfn: Number((BigInt(m[2]) + 1n) >> 12n),
    }));
    expect(ranges.length).toBe(2);
    expect(presentSections(ranges)).toEqual([0, 1]);
    const { pe, lines } = bootOwner("6.1", ranges);
    const real = /\] (allocated \d+ bytes of page_ext)\n/.exec(dmesg)![1];
    expect(lines).toEqual([real]);
    expect(pe.totalUsage).toBe(4194304);
  });
});

describe("invoke_need_callbacks", () => {
  const ptc: PageExtOps<{ anon: { kind: "i32" }; file: { kind: "i32" } }> = {
    name: "page_table_check",
    size: 8,
    needSharedFlags: false,
    fields: { anon: { kind: "i32" }, file: { kind: "i32" } },
    need: () => true,
  };

  it("nothing needed: nothing allocated, no line, no init callback", () => {
    const lines: string[] = [];
    const mem = byteCounter();
    const pe = createPageExt({ ranges: FOUR_GIB, memory: mem, log: (l) => lines.push(l) });
    let inits = 0;
    const c = pe.register({ ...ownerOps("6.1", false), init: () => inits++ });
    pe.init();
    pe.checkInvariants();
    expect([pe.entrySize, pe.totalUsage, mem.bytes, inits, lines.length, c.offset]).toEqual([0, 0, 0, 0, 0, -1]);
    expect(pe.tables).toEqual([]);
    expect(pe.flags).toBeNull();
    expect(c.enabled).toBe(false);
    expect(() => c.data).toThrow(/not enabled/);
  });

  it("6.3+ (need_shared_flags): no flags word when no needing client uses it", () => {
    const pe = createPageExt({ ranges: FOUR_GIB });
    const a = pe.register(ptc);
    pe.init();
    pe.checkInvariants();
    expect(pe.entrySize).toBe(8);
    expect(a.offset).toBe(0);
    expect(pe.flags).toBeNull();
    expect(a.flags).toBeNull();
  });

  it("up to 6.2 (6.1.y included: no need_shared_flags) the flags word is always there", () => {
    const pe = createPageExt({ ranges: FOUR_GIB, flagsWord: "always" });
    const a = pe.register(ptc);
    pe.init();
    pe.checkInvariants();
    expect(pe.entrySize).toBe(16);
    expect(a.offset).toBe(8);
    expect(pe.flags).not.toBeNull();
  });

  it("with page_owner (a flags user) both policies give 6.1's 64-byte entry", () => {
    for (const flagsWord of ["always", "shared"] as const) {
      const pe = createPageExt({ ranges: FOUR_GIB, flagsWord });
      const owner = pe.register(ownerOps("6.1"));
      const b = pe.register(ptc);
      pe.init();
      expect([pe.entrySize, owner.offset, b.offset]).toEqual([72, 8, 64]);
    }
  });

  it("lays clients out in registration order after the flags word", () => {
    const pe = createPageExt({ ranges: FOUR_GIB });
    const owner = pe.register(ownerOps("6.1"));
    const off = pe.register({ ...ptc, name: "idle", need: () => false });
    const b = pe.register(ptc);
    let seen = -2;
    const pin = pe.register({ name: "pin_owner", size: 0, needSharedFlags: true, fields: {}, need: () => true, init: (c) => (seen = c.offset) });
    pe.init();
    pe.checkInvariants();
    expect([owner.offset, off.offset, b.offset, pin.offset, seen]).toEqual([8, -1, 64, 72, 72]);
    expect(pe.entrySize).toBe(72);
    expect(owner.flags).toBe(pe.flags);
    expect(pin.flags).toBe(pe.flags);
  });

  it("shared flags alone cost 8 bytes a page (page pin owner without page_owner, seed 001)", () => {
    const pe = createPageExt({ ranges: FOUR_GIB });
    pe.register({ name: "pin_owner", size: 0, needSharedFlags: true, fields: {}, need: () => true });
    pe.init();
    expect(pe.totalUsage).toBe(8388608);
  });

  it("asks need() exactly once per client", () => {
    const pe = createPageExt({ ranges: FOUR_GIB });
    let calls = 0;
    pe.register({ ...ownerOps("6.1"), need: () => (calls++, true) });
    pe.init();
    expect(calls).toBe(1);
  });

  it("property: entry = flags + sizes of needing clients, contiguous offsets, one table per section", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ size: fc.integer({ min: 0, max: 96 }), shared: fc.boolean(), need: fc.boolean() }), { maxLength: 5 }),
        fc.constantFrom<FlagsWordPolicy>("shared", "always"),
        fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 4 }),
        (specs, flagsWord, secs) => {
          const ranges = secs.map((s) => ({ startPfn: s * PAGES_PER_SECTION + 7, endPfn: s * PAGES_PER_SECTION + 9 }));
          const pe = createPageExt({ ranges, flagsWord });
          const cs = specs.map((s, i) =>
            pe.register({ name: `c${i}`, size: s.size, needSharedFlags: s.shared, fields: { x: { kind: "u8" } }, need: () => s.need }),
          );
          pe.init();
          pe.checkInvariants();
          const any = specs.some((s) => s.need);
          const flags = any && (flagsWord === "always" || specs.some((s) => s.need && s.shared)) ? 8 : 0;
          let pos = flags;
          specs.forEach((s, i) => {
            expect(cs[i].offset).toBe(s.need ? pos : -1);
            if (s.need) pos += s.size;
          });
          expect(pe.entrySize).toBe(any ? pos : 0);
          expect(pe.totalUsage).toBe(any ? pos * PAGES_PER_SECTION * new Set(secs).size : 0);
        },
      ),
    );
  });
});

describe("storage", () => {
  it("gives one typed array per field, `per` elements a page, indexed by pfn", () => {
    const pe = createPageExt({ ranges: [{ startPfn: 0, endPfn: 2 * PAGES_PER_SECTION }] });
    const c = pe.register({
      name: "owner8",
      size: 80,
      needSharedFlags: true,
      fields: { order: { kind: "u8" }, reason: { kind: "i16" }, ts: { kind: "f64" }, trace: { kind: "u32", per: 8 } },
      need: () => true,
    });
    pe.init();
    expect(c.data.order).toBeInstanceOf(Uint8Array);
    expect(c.data.reason).toBeInstanceOf(Int16Array);
    expect(c.data.ts).toBeInstanceOf(Float64Array);
    expect(c.data.trace).toBeInstanceOf(Uint32Array);
    expect(c.data.trace.length).toBe(8 * 2 * PAGES_PER_SECTION);
    expect(c.data.order.length).toBe(pe.nrPages);
    c.data.reason[5] = -1;
    expect(c.data.reason[5]).toBe(-1);
  });

  it("has page_ext only for present sections", () => {
    const pe = createPageExt({
      ranges: [
        { startPfn: 0, endPfn: PAGES_PER_SECTION },
        { startPfn: 3 * PAGES_PER_SECTION + 100, endPfn: 3 * PAGES_PER_SECTION + 200 },
      ],
    });
    pe.register(ownerOps("6.1"));
    expect(pe.hasPageExt(0)).toBe(false); // not before init
    pe.init();
    pe.checkInvariants();
    expect(pe.tables.map((t) => t.section)).toEqual([0, 3]);
    expect(pe.hasPageExt(0)).toBe(true);
    expect(pe.hasPageExt(PAGES_PER_SECTION)).toBe(false);
    expect(pe.hasPageExt(3 * PAGES_PER_SECTION)).toBe(true); // the whole section, holes included
    expect(pe.hasPageExt(4 * PAGES_PER_SECTION)).toBe(false);
    expect(pe.hasPageExt(-1)).toBe(false);
  });
});

describe("errors leave the state as it was", () => {
  function snapshot(pe: PageExt): string {
    return JSON.stringify([pe.inited, pe.entrySize, pe.totalUsage, pe.tables, pe.flags === null]);
  }

  it("out of memory at the second section: the kernel's line, NOMEM, memory rolled back", () => {
    const lines: string[] = [];
    const mem = byteCounter(3 << 20);
    const pe = createPageExt({ ranges: FOUR_GIB, memory: mem, log: (l) => lines.push(l) });
    const c = pe.register(ownerOps("6.1"));
    const before = snapshot(pe);
    let err: unknown;
    try {
      pe.init();
    } catch (e) {
      err = e;
    }
    expect(isMmError(err, "NOMEM")).toBe(true);
    expect(lines).toEqual(["page ext allocation failure"]);
    expect(mem.bytes).toBe(0);
    expect(snapshot(pe)).toBe(before);
    expect(c.enabled).toBe(false);
    pe.checkInvariants();
  });

  it("rejects late, duplicate and malformed registrations", () => {
    const pe = createPageExt({ ranges: FOUR_GIB });
    pe.register(ownerOps("6.1"));
    const codes: string[] = [];
    const attempt = (f: () => void) => {
      try {
        f();
      } catch (e) {
        if (isMmError(e)) codes.push(e.code);
      }
    };
    attempt(() => pe.register(ownerOps("6.1")));
    attempt(() => pe.register({ ...ownerOps("6.1"), name: "x", size: -1 }));
    attempt(() => pe.register({ ...ownerOps("6.1"), name: "y", fields: { h: { kind: "u32", per: 0 } } } as never));
    attempt(() => pe.register({ ...ownerOps("6.1"), name: "z", fields: { h: { kind: "u64" } } } as never));
    pe.init();
    const before = snapshot(pe);
    attempt(() => pe.register({ ...ownerOps("6.1"), name: "late" }));
    attempt(() => pe.init());
    expect(codes).toEqual(["BAD_CONFIG", "BAD_CONFIG", "BAD_CONFIG", "BAD_CONFIG", "BAD_STATE", "BAD_STATE"]);
    expect(snapshot(pe)).toBe(before);
    expect(pe.entrySize).toBe(64);
    pe.checkInvariants();
  });

  it("rejects bad ranges and policies", () => {
    expect(() => createPageExt({ ranges: [{ startPfn: 5, endPfn: 2 }] })).toThrow(/BAD_CONFIG/);
    expect(() => createPageExt({ ranges: [], flagsWord: "sometimes" as never })).toThrow(/BAD_CONFIG/);
  });
});
