import { GFP_KERNEL } from "@mm/api";
import { describe, expect, it } from "vitest";
import { createMachine, type BuddyMachine } from "../src/index.js";

/** A fixed little workload: allocations of mixed orders, every third one freed again. */
function churn(m: BuddyMachine): string {
  const live: [number, number][] = [];
  for (let i = 0; i < 3000; i++) {
    const order = i % 4;
    const pfn = m.allocPages(order, GFP_KERNEL);
    if (pfn >= 0) live.push([pfn, order]);
    if (i % 3 === 2 && live.length > 0) {
      const [p, o] = live.splice((i * 7) % live.length, 1)[0];
      m.freePages(p, o);
    }
  }
  return JSON.stringify({ live, buddyinfo: m.buddyinfo() });
}

describe("dispose(): a machine's arrays reused by the next machine of the same size", () => {
  it("a machine booted on a disposed machine's arrays behaves as a fresh one", () => {
    const fresh = churn(createMachine({ memoryBytes: 64 << 20 }));
    const a = createMachine({ memoryBytes: 64 << 20 });
    churn(a);
    const flags = a.flags;
    a.dispose();
    const b = createMachine({ memoryBytes: 64 << 20 });
    expect(b.flags).toBe(flags); // the same buffer, refilled
    expect(churn(b)).toBe(fresh);
  });

  it("a disposed machine is left with empty arrays, and disposing twice is harmless", () => {
    const a = createMachine({ memoryBytes: 16 << 20 });
    a.dispose();
    a.dispose();
    expect(a.flags.length).toBe(0);
    expect(a.next.length).toBe(0);
    const b = createMachine({ memoryBytes: 16 << 20 });
    const c = createMachine({ memoryBytes: 16 << 20 });
    expect(b.flags).not.toBe(c.flags); // one disposed set is handed out once
  });
});
