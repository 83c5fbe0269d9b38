// Cost of recording one event in each sink, against copying the same fields into a typed array
// (the least any sink must do). 4096 put events per iteration, 12-frame stacks.
import { bench, describe } from "vitest";
import { EV_PUT, ftraceRing, newTraceEvent, pagePinnerRing } from "../src/index.js";

const N = 4096;
const ev = newTraceEvent();
ev.kind = EV_PUT;
ev.nrFrames = 12;
ev.handle = 7;
ev.pid = 100;

const copy = new Float64Array(N * 8);
function baseline(): void {
  for (let i = 0; i < N; i++) {
    ev.pfn = i;
    ev.ts += 1000;
    const o = i * 8;
    copy[o] = ev.pfn;
    copy[o + 1] = ev.flags;
    copy[o + 2] = ev.count;
    copy[o + 3] = ev.mapcount;
    copy[o + 4] = ev.mapping;
    copy[o + 5] = ev.mt;
    copy[o + 6] = ev.handle;
    copy[o + 7] = ev.ts;
  }
}

const ftrace = ftraceRing();
const ftraceNoStack = ftraceRing({ stacktrace: false });
const pinner = pagePinnerRing();
function fill(sink: { emit(e: typeof ev): void }): void {
  for (let i = 0; i < N; i++) {
    ev.pfn = i;
    ev.ts += 1000;
    sink.emit(ev);
  }
}

describe(`record ${N} put events (rings already wrapping)`, () => {
  const opts = { time: 800, warmupTime: 200 };
  bench("copy fields to a typed array (baseline)", baseline, opts);
  bench("ftrace ring, event + 12-frame stack entry", () => fill(ftrace), opts);
  bench("ftrace ring, event only", () => fill(ftraceNoStack), opts);
  bench("page_pinner ring (4096 records)", () => fill(pinner), opts);
});
