// Shadow stack: push a 16-frame call chain, capture it innermost-first (what page_owner does),
// pop it; vs a plain JS number[] used the same way.
import { bench, describe } from "vitest";
import { createSim, withFrames } from "@mm/sim";

const sim = createSim();
const task = sim.spawn({ comm: "bench" });
const trace = sim.symbols.trace(Array.from({ length: 16 }, (_, i) => `fn_${i}`));
const scratch = new Uint32Array(16);
const ROUNDS = 1000;

describe(`push 16 + capture + pop 16, x${ROUNDS}`, () => {
  bench("SimTask push/pop (one frame at a time)", () => {
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 15; i >= 0; i--) task.push(trace[i]);
      const st = task.stack;
      scratch.set(st.subarray(0, task.depth));
      for (let i = 0; i < 16; i++) task.pop();
    }
  });
  bench("SimTask pushTrace/unwindTo", () => {
    for (let r = 0; r < ROUNDS; r++) {
      task.pushTrace(trace);
      scratch.set(task.stack.subarray(0, task.depth));
      task.unwindTo(0);
    }
  });
  bench("withFrames (closure per call)", () => {
    for (let r = 0; r < ROUNDS; r++) withFrames(task, trace, () => scratch.set(task.stack.subarray(0, task.depth)));
  });
  const arr: number[] = [];
  bench("baseline: number[] push/pop + reverse copy", () => {
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 15; i >= 0; i--) arr.push(trace[i]);
      const d = arr.length;
      for (let i = 0; i < d; i++) scratch[i] = arr[d - 1 - i];
      for (let i = 0; i < 16; i++) arr.pop();
    }
  });
});

describe("push/pop one frame, x100000 (no capture)", () => {
  bench("SimTask push/pop", () => {
    for (let i = 0; i < 100_000; i++) {
      task.push(7);
      task.pop();
    }
  });
  const arr: number[] = [];
  bench("baseline: number[] push/pop", () => {
    for (let i = 0; i < 100_000; i++) {
      arr.push(7);
      arr.pop();
    }
  });
});
