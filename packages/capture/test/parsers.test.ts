import { describe, expect, it } from "vitest";
import { isMmError } from "@mm/api";
import { freedBeforeWatermarks, parseDmesg, parseIomem, parseMeminfo, parseZoneinfo } from "@mm/capture";
import { fixtureText } from "./helpers.js";

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe("zoneinfo (zoneinfo_show_print)", () => {
  it("reads every zone of the fixture, populated or not", () => {
    const z = parseZoneinfo(fixtureText("proc/zoneinfo.txt"));
    expect(z.map((r) => r.name)).toEqual(["DMA", "DMA32", "Normal", "Movable", "Device"]);
    const dma32 = z[1];
    expect([dma32.free, dma32.min, dma32.low, dma32.high, dma32.spanned, dma32.present, dma32.managed]).toEqual([32605, 2523, 3153, 3783, 61405, 61405, 51112]);
    expect(z[0].protection).toEqual([0, 193, 193, 193, 193]);
    // pagesets: cpu 0 count 56 + cpu 1 count 32
    expect(dma32.pcpPages).toBe(88);
    expect(dma32.startPfn).toBe(4096);
    expect(dma32.counters.nr_free_pages).toBe(32605);
    // per-node stats (printed under the first zone) are not zone counters
    expect(z[0].counters.nr_anon_transparent_hugepages).toBeUndefined();
    expect(z[2].startPfn).toBeNull();
  });

  it("names the line of anything that is not zoneinfo", () => {
    const text = fixtureText("proc/zoneinfo.txt").replace("        low      3153", "        low      x3153");
    const e = thrown(() => parseZoneinfo(text));
    expect(isMmError(e, "PARSE_ERROR")).toBe(true);
    const line = text.split("\n").findIndex((l) => l.includes("x3153")) + 1;
    expect((e as { detail: { line: number } }).detail.line).toBe(line);
  });
});

describe("meminfo, iomem, dmesg", () => {
  it("meminfo values in kB", () => {
    const m = parseMeminfo(fixtureText("proc/meminfo.txt"));
    expect(m.MemFree).toBe(145780);
    expect(m.AnonHugePages).toBe(2048);
    expect(m.HugePages_Total).toBe(0);
    expect(isMmError(thrown(() => parseMeminfo("MemTotal: 1 kB\nbroken\n")), "PARSE_ERROR")).toBe(true);
  });

  it("iomem: System RAM as whole pages, the kernel image, and the all-zero file of a non-root read", () => {
    const text = [
      "00000000-00000fff : Reserved",
      "00001000-0009fbff : System RAM",
      "00100000-0ffdcfff : System RAM",
      "  03000000-03c00fff : Kernel code",
      "  03e00000-0417ffff : Kernel rodata",
      "fec00000-fec003ff : IOAPIC 0",
      "",
    ].join("\n");
    const io = parseIomem(text);
    expect(io.hidden).toBe(false);
    expect(io.systemRam).toEqual([{ startPfn: 1, endPfn: 159 }, { startPfn: 256, endPfn: 65501 }]);
    expect(io.kernelImage).toEqual([{ startPfn: 0x3000, endPfn: 0x3c01 }, { startPfn: 0x3e00, endPfn: 0x4180 }]);
    const hidden = parseIomem(text.replace(/[0-9a-f]{8}-[0-9a-f]{8}/g, "00000000-00000000"));
    expect(hidden.hidden).toBe(true);
    expect(hidden.systemRam).toEqual([]);
    expect(isMmError(thrown(() => parseIomem("00001000-0009fbff System RAM\n")), "PARSE_ERROR")).toBe(true);
  });

  it("dmesg: memblock ranges, the Memory: line, every Freeing line, the initrd", () => {
    const d = parseDmesg(fixtureText("proc/dmesg.txt"));
    expect(d.release).toBe("6.1.192-pageowner-rig");
    expect(d.nodeRanges).toEqual([{ startPfn: 1, endPfn: 159 }, { startPfn: 256, endPfn: 65501 }]);
    expect(d.zoneRanges.DMA).toEqual({ startPfn: 1, endPfn: 4096 });
    expect(d.zoneRanges.Normal).toBeNull();
    expect(d.memory).toMatchObject({ availableK: 213104, physK: 261612, reservedK: 48248, cmaReservedK: 0, initK: 2112 });
    expect(d.frees.map((f) => [f.what, f.kb])).toEqual([
      ["SMP alternatives", 36],
      ["initrd", 1332],
      ["unused kernel image (initmem)", 2112],
      ["unused kernel image (text/rodata gap)", 2040],
      ["unused kernel image (rodata/data gap)", 924],
    ]);
    expect(d.frees.filter((f) => freedBeforeWatermarks(f.what)).map((f) => f.what)).toEqual(["SMP alternatives"]);
    expect(d.ramdisk).toEqual({ startPfn: 0xfe83, endPfn: 0xffd0 });
    // dmesg -t and journalctl prefixes read the same
    const bare = fixtureText("proc/dmesg.txt").replace(/^\[ *\d+\.\d+\] /gm, "");
    expect(parseDmesg(bare)).toEqual(d);
  });
});
