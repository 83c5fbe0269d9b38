// Allocation cost with page_owner on (6.1 record), as a ratio to the bare buddy allocator measured
// in the same run: each recursion guard x each storage policy, on a 256 MiB machine with the real
// @mm/buddy, @mm/stackdepot and @mm/sim. Each iteration: 1024 allocations from the boot preset's 8
// call sites (14-16 frame stacks) as their tasks with their stacks pushed, then the 1024 frees
// with their free stacks (6.1 captures a free stack too).
import { GFP_KERNEL } from "@mm/api";
import { bootPreset } from "@mm/sim";
import { bench, describe } from "vitest";
import { bootOwnerSystem, type GuardName, type OwnerSystem, type StorageName } from "../src/experiments/page-owner-wiring.js";

const N = 1024;
const MEMORY = 256 << 20;

interface Rig {
  run(): void;
}

function rig(sys: OwnerSystem, orders: ArrayLike<number>): Rig {
  const { sim, machine } = sys;
  const sites = bootPreset().sites!;
  const tasks = sites.map((s, i) => sim.spawn({ comm: s.comm ?? `site${i}` }));
  const traces = sites.map((s) => sim.symbols.trace(s.trace ?? []));
  const freeTraces = sites.map((s) => sim.symbols.trace(s.freeTrace ?? []));
  const pfns = new Int32Array(N);
  const gfps = sites.map((s) => s.gfp);
  return {
    run(): void {
      for (let i = 0; i < N; i++) {
        const s = i & 7;
        const t = tasks[s];
        sim.setCurrent(t);
        t.pushTrace(traces[s]);
        pfns[i] = machine.allocPages(orders[i], gfps[s] ?? GFP_KERNEL);
        t.unwindTo(0);
      }
      for (let i = 0; i < N; i++) {
        const s = i & 7;
        const t = tasks[s];
        sim.setCurrent(t);
        t.pushTrace(freeTraces[s]);
        if (pfns[i] >= 0) machine.freePages(pfns[i], orders[i]);
        t.unwindTo(0);
      }
    },
  };
}

// traceMemo false is the kernel-faithful path (every save hashes and walks a depot bucket); the
// memo is a model-only option, measured in its own labelled row.
function make(enabled: boolean, storage: StorageName, guard: GuardName, orders: ArrayLike<number>, traceMemo = false): Rig {
  const sys = bootOwnerSystem({ memoryBytes: MEMORY, era: "6.1", storage, guard, enabled, earlyPages: 0, traceMemo });
  const r = rig(sys, orders);
  r.run(); // warm the depot: later iterations hit existing stacks, as a running kernel does
  return r;
}

for (const [label, orders] of [
  ["order-0", new Uint8Array(N)],
  ["orders 0-3 (1:1:1:1)", Uint8Array.from({ length: N }, (_, i) => (i >> 3) & 3)],
] as const) {
  describe(`alloc+free x${N}, ${label}`, () => {
    const bare = make(false, "depot", "task-flag", orders);
    const flagDepot = make(true, "depot", "task-flag", orders);
    const scanDepot = make(true, "depot", "stack-scan", orders);
    const flagInline = make(true, "inline8", "task-flag", orders);
    const scanInline = make(true, "inline8", "stack-scan", orders);
    const flagDepotMemo = make(true, "depot", "task-flag", orders, true);
    bench("bare buddy, page_owner=off (baseline)", () => bare.run());
    bench("page_owner: per-task flag guard + depot handle", () => flagDepot.run());
    bench("page_owner: per-task flag guard + depot handle + trace memo (model-only option)", () => flagDepotMemo.run());
    bench("page_owner: stack-scan guard + depot handle", () => scanDepot.run());
    bench("page_owner: per-task flag guard + 8 inline frames", () => flagInline.run());
    bench("page_owner: stack-scan guard + 8 inline frames", () => scanInline.run());
  });
}
