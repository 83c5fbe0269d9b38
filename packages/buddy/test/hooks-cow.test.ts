import { describe, expect, it } from "vitest";
import { GFP_KERNEL } from "@mm/api";
import { createMachine } from "../src/index.js";

describe("hook arrays are copy-on-write", () => {
  it("a hook that unsubscribes itself inside a walk does not make the loop skip the next subscriber", () => {
    const m = createMachine({ memoryBytes: 64 << 20 });
    const calls: string[] = [];
    const offA = m.addHooks({
      freePrepare: () => {
        calls.push("a");
        offA();
      },
    });
    m.addHooks({ freePrepare: () => calls.push("b") });
    const pfn = m.allocPages(0, GFP_KERNEL);
    m.freePages(pfn, 0);
    expect(calls).toEqual(["a", "b"]);
    const pfn2 = m.allocPages(0, GFP_KERNEL);
    m.freePages(pfn2, 0);
    expect(calls).toEqual(["a", "b", "b"]);
    m.checkInvariants();
  });

  it("unsubscribing twice is harmless and only removes that subscriber", () => {
    const m = createMachine({ memoryBytes: 64 << 20 });
    let n = 0;
    const h = { postAlloc: () => n++ };
    const off1 = m.addHooks(h);
    const off2 = m.addHooks(h);
    off1();
    off1();
    m.allocPages(0, GFP_KERNEL);
    expect(n).toBe(1);
    off2();
    m.allocPages(0, GFP_KERNEL);
    expect(n).toBe(1);
  });
});
