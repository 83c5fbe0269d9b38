import { describe, expect, it } from "vitest";
import { createSymbols, formatFrame, parseFrame, syntheticFrame } from "@mm/sim";

describe("Symbols", () => {
  it("interns text to dense ids from 1 and round-trips", () => {
    const s = createSymbols();
    const texts = ["get_page_from_freelist+0x41c/0xf00", "__alloc_pages+0x1d7/0x330", "kernel_init+0x11/0x110"];
    const ids = texts.map((t) => s.intern(t));
    expect(ids).toEqual([1, 2, 3]);
    expect(s.intern(texts[1])).toBe(2);
    expect(ids.map((i) => s.symbolize(i))).toEqual(texts);
    expect(s.size).toBe(3);
    expect(s.lookup("nope+0x1/0x2")).toBe(0);
    expect(s.size).toBe(3);
    s.checkInvariants();
  });

  it("frame() formats like %pS and derives stable synthetic offsets for bare names", () => {
    const s = createSymbols();
    expect(s.symbolize(s.frame("__alloc_pages", 0x1bc, 0x300))).toBe("__alloc_pages+0x1bc/0x300");
    const a = s.symbolize(s.frame("kmalloc_large"));
    const b = createSymbols();
    expect(b.symbolize(b.frame("kmalloc_large"))).toBe(a);
    expect(a).toBe(syntheticFrame("kmalloc_large"));
    const p = parseFrame(a);
    expect(p).not.toBeNull();
    expect(p?.func).toBe("kmalloc_large");
    expect(p!.offset).toBeGreaterThan(0);
    expect(p!.offset).toBeLessThan(p!.size);
    expect(p!.size % 0x10).toBe(0);
    expect(p!.size).toBeGreaterThanOrEqual(0x40);
    // different names give (almost always) different frames
    const names = Array.from({ length: 200 }, (_, i) => `fn_${i}`);
    const sizes = new Set(names.map((n) => parseFrame(syntheticFrame(n))!.size));
    expect(sizes.size).toBeGreaterThan(50);
  });

  it("resolve() accepts full text, bare names and keeps ids stable; trace() keeps order", () => {
    const s = createSymbols();
    const t = s.trace(["get_page_from_freelist+0x41c/0xf00", "__alloc_pages", "mod_fn+0x10/0x20 [virtio_balloon]"]);
    expect(Array.from(t)).toEqual([1, 2, 3]);
    expect(s.symbolize(3)).toBe("mod_fn+0x10/0x20 [virtio_balloon]");
    expect(s.resolve("__alloc_pages")).toBe(2);
    expect(Array.from(s.trace([2, 1]))).toEqual([2, 1]);
    expect(s.symbolizeAll(t, 2)).toEqual(["get_page_from_freelist+0x41c/0xf00", syntheticFrame("__alloc_pages")]);
  });

  it("parseFrame/formatFrame round-trip and reject non-frames", () => {
    expect(parseFrame("ret_from_fork+0x22/0x30")).toEqual({ func: "ret_from_fork", offset: 0x22, size: 0x30, module: undefined });
    expect(parseFrame("f+0x1/0x2 [mod]")?.module).toBe("mod");
    expect(parseFrame("0xffffffff81000000")).toBeNull();
    expect(parseFrame("f+0x1")).toBeNull();
    expect(formatFrame("xwrite.constprop.0", 0x2b, 0x87)).toBe("xwrite.constprop.0+0x2b/0x87");
  });

  it("bad input raises MmError and leaves the table unchanged", () => {
    const s = createSymbols();
    s.intern("a+0x1/0x2");
    for (const bad of ["", "two\nlines"]) expect(() => s.intern(bad)).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => s.frame("x", 0x10, 0x10)).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => s.frame("x", 1)).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => s.frame("has space")).toThrow(expect.objectContaining({ code: "EINVAL" }));
    for (const id of [0, 2, -1, 1.5]) expect(() => s.symbolize(id)).toThrow(expect.objectContaining({ code: "BAD_HANDLE" }));
    expect(() => s.trace([5])).toThrow(expect.objectContaining({ code: "BAD_HANDLE" }));
    expect(s.size).toBe(1);
    s.checkInvariants();
  });
});
