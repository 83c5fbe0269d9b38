import { describe, expect, it } from "vitest";
import { isMmError } from "@mm/api";
import { createBuddyArena } from "@mm/buddy";

describe("createBuddyArena", () => {
  it("suballocates an ArrayBuffer with naturally aligned power-of-two blocks", () => {
    const heap = new ArrayBuffer(1 << 20);
    const arena = createBuddyArena({ size: heap.byteLength, minBlock: 256 });
    expect(arena.maxBlock).toBe(1 << 20);
    const a = arena.alloc(100);
    const b = arena.alloc(1000);
    const c = arena.alloc(300 * 1024);
    expect(arena.sizeOf(a)).toBe(256);
    expect(arena.sizeOf(b)).toBe(1024);
    expect(arena.sizeOf(c)).toBe(512 * 1024);
    for (const [off, size] of [[a, 256], [b, 1024], [c, 512 * 1024]]) expect(off % size).toBe(0);
    new Uint8Array(heap, b, 1000).fill(7);
    expect(arena.freeBytes()).toBe((1 << 20) - 256 - 1024 - 512 * 1024);
    expect(arena.alloc(600 * 1024)).toBe(-1);
    arena.free(c);
    arena.free(a);
    arena.free(b);
    arena.check();
    expect(arena.largestFreeBlock()).toBe(1 << 20);
  });

  it("handles sizes that are not powers of two, and rejects bad frees", () => {
    const arena = createBuddyArena({ size: 1000 * 4096 });
    expect(arena.largestFreeBlock()).toBe(512 * 4096);
    expect(arena.freeBytes()).toBe(1000 * 4096);
    const x = arena.alloc(4096);
    arena.free(x);
    const err = (() => {
      try {
        arena.free(x);
      } catch (e) {
        return e;
      }
    })();
    expect(isMmError(err, "DOUBLE_FREE")).toBe(true);
    expect(() => arena.free(123)).toThrow();
    arena.check();
  });

  it("fills completely: no watermarks hold pages back", () => {
    const arena = createBuddyArena({ size: 64 * 16, minBlock: 16 });
    const got: number[] = [];
    for (let o = arena.alloc(16); o >= 0; o = arena.alloc(16)) got.push(o);
    expect(got.length).toBe(64);
    expect(new Set(got).size).toBe(64);
    arena.check();
  });
});
