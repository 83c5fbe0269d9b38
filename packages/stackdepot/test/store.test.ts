import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { SymbolInterner, checkStackDepotInvariants, createStackStore, parseStackFrames } from "../src/index.js";
import { runDemo } from "../examples/dedup-alloc-sites.js";

describe("StackStore: frame strings behind handles", () => {
  it("interns frames, dedups traces, gives them back", () => {
    const s = createStackStore();
    const a = s.save(["main (a.js:1:1)", "run (a.js:2:2)"]);
    const b = s.save(["main (a.js:1:1)", "run (a.js:2:3)"]);
    expect(a).not.toBe(0);
    expect(b).not.toBe(a);
    expect(s.save(["main (a.js:1:1)", "run (a.js:2:2)"])).toBe(a);
    expect(s.get(a)).toEqual(["main (a.js:1:1)", "run (a.js:2:2)"]);
    expect(s.get(12345)).toBeUndefined();
    expect(s.save([])).toBe(0);
    expect(s.stats()).toMatchObject({ stacks: 2, frames: 3 });
    checkStackDepotInvariants(s.depot);
  });

  it("captures the caller's stack; the same call site gives the same handle", () => {
    const s = createStackStore();
    const site = () => s.captureStack();
    const hs: number[] = [];
    for (let i = 0; i < 3; i++) hs.push(site());
    expect(new Set(hs).size).toBe(1);
    expect(s.get(hs[0])?.[0]).toMatch(/^site \(.*store\.test\.ts:\d+:\d+\)$/);
    // another line -> another stack
    expect(s.captureStack()).not.toBe(hs[0]);
  });

  it("long traces are cut to maxFrames before saving, so they still dedup", () => {
    const s = createStackStore({ maxFrames: 4 });
    const frames = Array.from({ length: 10 }, (_, i) => `f${i}`);
    const h = s.save(frames);
    expect(s.save(frames)).toBe(h);
    expect(s.get(h)).toEqual(["f0", "f1", "f2", "f3"]);
  });

  it("refcounted stores forget released traces", () => {
    const s = createStackStore({ refcounted: true });
    const h = s.save(["x", "y"]);
    expect(s.save(["x", "y"])).toBe(h);
    s.release(h);
    expect(s.get(h)).toEqual(["x", "y"]);
    s.release(h);
    expect(s.get(h)).toBeUndefined();
    expect(() => s.release(h)).toThrow(expect.objectContaining({ code: "BAD_HANDLE" }));
  });

  it("saveIds validates ids and shares the engine", () => {
    const s = createStackStore();
    const ids = Uint32Array.from(["a", "b"].map((t) => s.symbols.intern(t)));
    expect(s.saveIds(ids)).toBe(s.save(["a", "b"]));
    expect(() => s.saveIds(new Uint32Array([99]))).toThrow(expect.objectContaining({ code: "EINVAL" }));
  });

  it("SymbolInterner implements SymbolTable: ids from 1, unknown ids refused", () => {
    const t = new SymbolInterner();
    expect(t.intern("a")).toBe(1);
    expect(t.intern("b")).toBe(2);
    expect(t.intern("a")).toBe(1);
    expect(t.symbolize(2)).toBe("b");
    expect(() => t.symbolize(0)).toThrow(expect.objectContaining({ code: "BAD_HANDLE" }));
    expect(t.size).toBe(2);
  });

  it("parseStackFrames keeps the `at` lines", () => {
    const text = "Error: boom\n    at f (x.js:1:2)\n    at g (x.js:3:4)\n    at x.js:5:6";
    expect(parseStackFrames(text)).toEqual(["f (x.js:1:2)", "g (x.js:3:4)", "x.js:5:6"]);
    expect(parseStackFrames(text, 2)).toEqual(["x.js:5:6"]);
  });
});

describe("examples/dedup-alloc-sites.ts", () => {
  it("3000 allocations collapse to the 4 call sites", () => {
    const r = runDemo(3000);
    expect(r.allocations).toBe(3000);
    expect(r.uniqueStacks).toBe(4);
    expect(r.sites.map((s) => s.count).sort((a, b) => a - b)).toEqual([500, 500, 1000, 1000]);
    expect(r.sites[0].frames[0]).toMatch(/^renderPage /);
    expect(r.sites[0].bytes).toBe(4096 * 1000);
    expect(r.lines[0]).toBe(`3000 allocations from 4 unique stacks (${r.lines[0].match(/\((\d+) distinct/)?.[1]} distinct frames)`);
  });

  it("runs standalone", () => {
    const pkg = fileURLToPath(new URL("..", import.meta.url));
    const out = execFileSync(process.execPath, ["--conditions=@mm/source", "--import", "tsx", "examples/dedup-alloc-sites.ts"], {
      cwd: pkg,
      encoding: "utf8",
    });
    const lines = out.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^3000 allocations from 4 unique stacks \(\d+ distinct frames\)$/);
    expect(lines[1]).toMatch(/^4096000 bytes in 1000 allocations, handle 0x[0-9a-f]+:$/);
    expect(lines[2]).toMatch(/^ {2}renderPage \(.*dedup-alloc-sites\.ts:\d+:\d+\)$/);
  });
});
