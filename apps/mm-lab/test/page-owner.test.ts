import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { readPageOwnerFile } from "@mm/page-owner";
import { describe, expect, it } from "vitest";
import { formatSeed000, runSeed000, pageOwner } from "../src/experiments/page-owner.js";
import { FIXTURE_DUMP, readReplay, replay } from "../src/experiments/page-owner-replay.js";
import { bootOwnerSystem } from "../src/experiments/page-owner-wiring.js";
import { resolveRequest } from "../src/request.js";
import { cli } from "./cli-helper.js";

const FIXTURE = readReplay(FIXTURE_DUMP);

describe("seed 000's table on a 4 GiB machine", () => {
  const r = runSeed000({ replay: null, arrivals: 400 });

  it("gives the seed's exact static figures and the kernel's lines", () => {
    expect(r.sections).toBe(32);
    const [inline, scan, flag] = r.rows;
    expect(inline.staticBytes).toBe(92274688);
    expect(scan.staticBytes).toBe(25165824);
    expect(flag.staticBytes).toBe(25165824);
    expect(inline.pageExtLine).toBe("allocated 92274688 bytes of page_ext");
    expect(scan.pageExtLine).toBe("allocated 25165824 bytes of page_ext");
    expect([inline.bytesPerPage, scan.bytesPerPage]).toEqual([88, 24]);
    expect(r.staticReduction).toBeCloseTo(1 - 24 / 88, 12);
    // The tables really came out of free memory: 32 sections x 704 or 192 pages.
    expect(inline.freeDropPages).toBe(32 * 704);
    expect(scan.freeDropPages).toBe(32 * 192 + (scan.earlyPages - 542 - 32 * 192));
  });

  it("has no depot with inline storage and a depot under both guards with the handle", () => {
    const [inline, scan, flag] = r.rows;
    expect([inline.depotPools, inline.dynamicBytes, inline.recursions]).toEqual([0, 0, 0]);
    for (const row of [scan, flag]) {
      expect(row.depotPools).toBeGreaterThan(0);
      expect(row.dynamicBytes).toBe(row.depotPools * 16384);
      expect(row.staticPlusDynamic).toBe(25165824 + row.dynamicBytes);
      expect(row.failures).toBe(0);
      expect(row.failed).toBe(0);
    }
    expect(r.totalReduction).toBeLessThan(r.staticReduction);
  });

  it("prints the table", () => {
    const text = formatSeed000(r);
    expect(text).toContain("92,274,688");
    expect(text).toContain("25,165,824");
    expect(text).toContain("static reduction 72.7 %");
  });
});

describe("replaying the real 6.1 dump", () => {
  it("the depot's pools taken after init are exactly the pages with dummy_handle, under both guards", () => {
    for (const guard of ["stack-scan", "task-flag"] as const) {
      const sys = bootOwnerSystem({ memoryBytes: 512 << 20, era: "v4.7", guard });
      const w = replay(sys, FIXTURE);
      expect(w.failed).toBe(0);
      sys.machine.checkInvariants();
      sys.owner.checkInvariants();
      const { pools, spare } = sys.depot!.poolPfns();
      const held = [...pools, ...(spare >= 0 ? [spare] : [])];
      const dummy = held.filter((p) => sys.owner.record(p).handle === sys.owner.dummyHandle);
      const early = held.filter((p) => sys.owner.record(p).handle === sys.owner.earlyHandle);
      expect(dummy.length + early.length).toBe(held.length);
      expect(dummy.length).toBeGreaterThan(0);
      expect(sys.owner.census().dummy).toBe(dummy.length * 4);
      expect(sys.owner.counters.dummy).toBe(dummy.length);
    }
  });

  it("a 6.1 machine prints the same first lines and stacks as the real kernel did", () => {
    const sys = bootOwnerSystem({ memoryBytes: 256 << 20, era: "6.1" });
    expect(sys.dmesg).toContain("allocated 4194304 bytes of page_ext");
    expect(sys.dmesg).toContain("stackdepot hash table entries: 16384 (order: 5, 131072 bytes, linear)");
    expect(sys.dmesg).toContain("Node 0, zone    DMA32: page owner found early allocated 1574 pages");
    expect(replay(sys, FIXTURE).failed).toBe(0);
    const ours = readPageOwnerFile(sys.owner);
    const real = gunzipSync(readFileSync(FIXTURE_DUMP)).toString("utf8");
    // Every record minus its PFN line (pfn, block and page flags depend on placement) and its
    // free_ts (the replay does not replay earlier lifetimes of the page), and minus page_owner's
    // own records (early, dummy), compared as multisets.
    const key = (rec: string): string | null => {
      const lines = rec.split("\n");
      if (/ register_(early|dummy|failure)_stack\+/.test(rec)) return null;
      return [lines[0].replace(/, free_ts \d+ ns$/, ""), ...lines.slice(2).filter((l) => l.startsWith(" "))].join("\n");
    };
    const bag = (text: string): Map<string, number> => {
      const m = new Map<string, number>();
      for (const rec of text.split("\n\n")) {
        if (rec === "") continue;
        const k = key(rec);
        if (k !== null) m.set(k, (m.get(k) ?? 0) + 1);
      }
      return m;
    };
    const a = bag(ours);
    const b = bag(real);
    expect(a.size).toBe(b.size);
    expect([...a.values()].reduce((x, y) => x + y, 0)).toBe(FIXTURE.length);
    for (const [k, c] of b) expect(a.get(k), k.split("\n")[0]).toBe(c);
    // The depot's own pools: order 2, the depot's sanitised gfp, and the dummy stack exactly as the
    // real kernel printed it.
    const dummies = (text: string) => text.split("\n\n").filter((r) => r.includes(" register_dummy_stack+"));
    const realDummy = dummies(real)[0].split("\n").filter((l) => l.startsWith(" "));
    const ourDummies = dummies(ours);
    expect(ourDummies.length).toBeGreaterThan(0);
    for (const r of ourDummies) {
      expect(r.split("\n").filter((l) => l.startsWith(" "))).toEqual(realDummy);
      expect(r).toMatch(/^Page allocated via order 2, mask 0x[0-9a-f]+\([^)]*__GFP_NOWARN[^)]*\), pid \d+/);
    }
  });
});

describe("the experiment", () => {
  it("runs from CLI arguments and prints JSON", async () => {
    const out = await cli("run", "page-owner", "--memory-mib", "512", "--replay", "boot", "--arrivals", "200", "--seed", "3", "--json");
    const lines = out.trim().split("\n");
    const j = JSON.parse(lines[0]) as { rows: { staticBytes: number }[]; seed: number };
    expect(j.seed).toBe(3);
    expect(j.rows.map((x) => x.staticBytes)).toEqual([88 * 131072, 24 * 131072, 24 * 131072]);
    // the last line echoes what ran
    const echo = JSON.parse(lines[1]) as { mmLab: { config: { memoryMib: number; arrivals: number }; seeds: { first: number } } };
    expect(echo.mmLab.config).toMatchObject({ memoryMib: 512, arrivals: 200, replay: "boot" });
    expect(echo.mmLab.seeds.first).toBe(3);
  });

  it("is deterministic for a seed", () => {
    const a = JSON.stringify(runSeed000({ memoryBytes: 512 << 20, replay: null, arrivals: 300, seed: 5 }));
    const b = JSON.stringify(runSeed000({ memoryBytes: 512 << 20, replay: null, arrivals: 300, seed: 5 }));
    expect(a).toBe(b);
  });

  it("rejects bad arguments", () => {
    expect(() => resolveRequest(pageOwner, { memoryMib: "lots" })).toThrow(/EINVAL: --memory-mib expects/);
    expect(() => resolveRequest(pageOwner, { memoryMib: "64" })).toThrow(/EINVAL: --memory-mib expects a size in 256\.\./);
  });
});
