import { describe, expect, it } from "vitest";
import { PG_reserved, ZONE_NAMES } from "@mm/api";
import { parseBuddyinfo, parsePagetypeinfo } from "@mm/buddy";
import { importCapture, parseZoneinfo, readCaptureDir, watermarksMatch, type ImportedCapture } from "@mm/capture";
import { FIXTURE_DIR, fixtureDumpAs612, fixtureInput, fixtureText } from "./helpers.js";

const zoneinfo = parseZoneinfo(fixtureText("proc/zoneinfo.txt"));
const pagetypeinfo = parsePagetypeinfo(fixtureText("proc/pagetypeinfo.txt"));

/** The acceptance checks, against the fixture's own files (parsed here, not typed in). */
function expectMatchesFixture(imp: ImportedCapture): void {
  const m = imp.machine;
  for (const row of zoneinfo) {
    const z = m.zones[ZONE_NAMES.indexOf(row.name)];
    expect([z.present, z.spanned, z.managed, ...z.watermarks], row.name).toEqual([row.present, row.spanned, row.managed, row.min, row.low, row.high]);
    expect([...z.lowmemReserve], row.name).toEqual(row.protection);
  }
  expect(imp.report.watermarksEqual).toBe(true);
  // Number of blocks type / Number of mixed blocks, computed from the dump, equal pagetypeinfo's.
  const pti = imp.report.pagetypeinfo!;
  expect(pti.blocks.map((b) => b.imported)).toEqual(pagetypeinfo.blocks.map((b) => b.counts));
  expect(pti.mixed!.map((b) => b.imported)).toEqual(pagetypeinfo.mixed!.map((b) => b.counts));
  // Free pages against MemFree: the difference is the pcp pages minus the drift, zone by zone.
  const f = imp.report.free;
  expect(f.explained).toBe(true);
  expect(f.diffToMemFree).toBe(f.zones!.reduce((s, z) => s + z.pcpPages - z.drift, 0) + (f.memFree! - f.zones!.reduce((s, z) => s + z.real, 0)));
  for (const z of f.zones!) expect(z.diff).toBe(z.pcpPages - z.drift + z.reservedShortfall);
  m.checkInvariants();
}

describe("importing the 6.1 fixture (decimal PFN, free_ts)", () => {
  const imp = importCapture(readCaptureDir(FIXTURE_DIR).input);

  it("reads every record and every file", () => {
    expect(imp.dump.format).toBe("6.1");
    expect(imp.placement.placedRecords).toBe(16711); // the fixture README's count
    expect(imp.skipped).toEqual({});
    expect(imp.used).toEqual(["zoneinfo", "buddyinfo", "pagetypeinfo", "meminfo", "dmesg"]);
  });

  it("has the capture's managed pages, watermarks, protection and mixed blocks", () => {
    expectMatchesFixture(imp);
    expect(imp.boot.chosenBy).toBe("zoneinfo");
  });

  it("holds every record at its pfn, with its order, owner, timestamps and stack", () => {
    const m = imp.machine;
    const d = imp.dump;
    for (let i = 0; i < d.count; i++) {
      expect(m.allocatedBlockHead(d.pfn[i])).toBe(d.pfn[i]);
      expect(imp.index.recOf[d.pfn[i] + 2 ** d.order[i] - 1]).toBe(i);
    }
    const first = 0;
    expect([d.pfn[first], d.order[first], d.pid[first], d.comms[d.comm[first]], d.ts[first], d.freeTs[first]]).toEqual([4096, 0, 1, "swapper/0", 507734792n, 0n]);
    expect(d.stacks.get(d.handle[first])).toEqual(["register_early_stack+0x31/0x65", "init_page_owner+0x33/0x300", "kernel_init_freeable+0x13c/0x26b", "kernel_init+0x11/0x110"]);
    // pageblock types from `Block N type X`
    for (let i = 0; i < d.count; i += 97) expect(m.pageblockMigratetype(d.pfn[i])).toBe(d.blockMt[i]);
  });

  it("free memory is the complement, merged into buddies: free + dump + reserved = present", () => {
    const m = imp.machine;
    for (const z of m.populatedZones()) {
      let dump = 0;
      for (let i = 0; i < imp.dump.count; i++) if (m.zoneOf(imp.dump.pfn[i]) === z.idx) dump += 2 ** imp.dump.order[i];
      expect(z.freePages + dump + (z.present - z.managed)).toBe(z.present);
    }
    // DMA holds no allocation: its buddyinfo row is the real one exactly.
    const real = parseBuddyinfo(fixtureText("proc/buddyinfo.txt"));
    expect(m.buddyinfoRows()[0].counts).toEqual(real[0].counts);
  });

  it("a rebuild is the same machine", () => {
    const again = imp.rebuild();
    expect(again.buddyinfo()).toBe(imp.machine.buddyinfo());
    expect(Buffer.from(again.flags).equals(Buffer.from(imp.machine.flags))).toBe(true);
  });

  it("a rebuild wired to a clock keeps the capture's memory map and watermarks", () => {
    const wired = imp.rebuild({ clock: { now: () => 5e9 }, hz: 100 });
    expect(wired.buddyinfo()).toBe(imp.machine.buddyinfo());
    expect(wired.zones.map((z) => [z.managed, ...z.watermarks, ...z.lowmemReserve])).toEqual(imp.machine.zones.map((z) => [z.managed, ...z.watermarks, ...z.lowmemReserve]));
    expect(imp.machineOptions.ranges).toEqual(imp.plan.ranges);
  });
});

describe("the same allocations in the 6.12 format (hex PFN, no free_ts)", () => {
  const imp = importCapture(fixtureInput({ pageOwner: fixtureDumpAs612() }));
  it("is read as 6.12 and imports to the identical machine", () => {
    expect(imp.dump.format).toBe("6.12");
    expect(imp.placement.placedRecords).toBe(16711);
    expectMatchesFixture(imp);
    const ref = importCapture(readCaptureDir(FIXTURE_DIR).input);
    expect(imp.machine.buddyinfo()).toBe(ref.machine.buddyinfo());
    expect(imp.dump.freeTs.every((t) => t === 0n)).toBe(true);
  });
});

describe("derived, not typed in: the fixture with files missing", () => {
  it("without zoneinfo, dmesg's Memory: line gives the same managed total and THP comes from meminfo", () => {
    const imp = importCapture(fixtureInput({ zoneinfo: undefined }));
    const managed = zoneinfo.reduce((s, z) => s + z.managed, 0);
    expect(imp.machine.totalramPages()).toBe(managed);
    expect(imp.boot.chosenBy).toBe("evidence");
    expect(imp.boot.history.thp).toBe(true);
    expect(imp.report.zones).toBeNull();
    expect(imp.plan.assumptions.some((a) => a.includes("no zoneinfo"))).toBe(true);
  });

  it("with iomem the map comes from System RAM, the kernel image is reserved where the dump leaves room", () => {
    const iomem = [
      "00000000-00000fff : Reserved",
      "00001000-0009efff : System RAM",
      "00100000-0ffdcfff : System RAM",
      // pfns 8285..8703 hold no record in the dump: a plausible place for (part of) the image
      "  0205d000-021fffff : Kernel code",
      "",
    ].join("\n");
    const imp = importCapture(fixtureInput({ iomem }));
    expect(imp.plan.mapSource).toBe("iomem");
    expect(imp.plan.reservedExact[1]).toBe(0x2200 - 0x205d);
    expect(imp.machine.pageFlags(0x2100) & (1 << PG_reserved)).not.toBe(0);
    expectMatchesFixture(imp);
  });

  it("without dmesg, the late frees come out of zoneinfo's protection and the map out of its spans", () => {
    const imp = importCapture(fixtureInput({ dmesg: undefined }));
    const ref = importCapture(readCaptureDir(FIXTURE_DIR).input);
    expect(imp.plan.mapSource).toBe("zoneinfo spans");
    // DMA's missing pages are the x86 hole below 1 MiB: the same ranges as dmesg's memblock map
    expect(imp.plan.ranges).toEqual(ref.plan.ranges);
    expect(imp.boot.chosenBy).toBe("zoneinfo");
    expect(watermarksMatch(imp.machine, zoneinfo)).toBe(true);
    expectMatchesFixture(imp);
    // dmesg says 1602 pages were freed late; zoneinfo alone pins the count to one lowmem_reserve
    // step (193 = floor(DMA32 managed at setup / 256)) and the smallest count of it that matches is taken
    const k = imp.plan.lateFreedPages;
    const dma32 = zoneinfo.find((z) => z.name === "DMA32")!.managed;
    const prot = zoneinfo.find((z) => z.name === "DMA")!.protection[1];
    expect(Math.floor((dma32 - k) / 256)).toBe(prot);
    expect(Math.floor((dma32 - (k - 1)) / 256)).toBe(prot + 1);
    expect(Math.floor((dma32 - ref.plan.lateFreedPages) / 256)).toBe(prot);
    expect(ref.plan.lateFreedPages).toBe(1602);
    expect(imp.plan.assumptions.some((a) => a.includes(`${k} pages freed after the first watermark setup`))).toBe(true);
  });

  it("only the dump: memory is the dump's extent, nothing reserved, every gap free", () => {
    const imp = importCapture({ pageOwner: fixtureInput().pageOwner });
    expect(imp.plan.mapSource).toBe("dump extent");
    expect(imp.machine.freePagesTotal() + imp.placement.placedPages).toBe(imp.machine.totalramPages());
    expect(imp.report.zones).toBeNull();
  });
});

describe("a boot log whose zones are not x86-64's", () => {
  it("is imported with the x86-64 layout and says so", () => {
    const dmesg = fixtureText("proc/dmesg.txt").replace(
      "  DMA      [mem 0x0000000000001000-0x0000000000ffffff]",
      "  DMA      [mem 0x0000000000001000-0x000000003fffffff]",
    );
    const imp = importCapture(fixtureInput({ dmesg }));
    expect(imp.plan.assumptions.some((a) => a.startsWith("dmesg Zone ranges: DMA "))).toBe(true);
    const plain = importCapture(fixtureInput());
    expect(plain.plan.assumptions.some((a) => a.startsWith("dmesg Zone ranges"))).toBe(false);
  });
});
