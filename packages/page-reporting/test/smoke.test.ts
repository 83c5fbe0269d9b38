import { describe, expect, it } from "vitest";
import { createPageReporting, createVirtioBalloon, checkPageReportingInvariants } from "../src/index.js";
import { FakeArea } from "./helpers/fake-area.js";
import { ManualScheduler } from "./helpers/manual-scheduler.js";

describe("smoke", () => {
  it("reports everything", () => {
    const area = new FakeArea([{ start: 0, end: 131072, wmarks: [724, 905, 1086] }]);
    area.fillFree();
    const s = new ManualScheduler();
    const dev = createVirtioBalloon({ nrPages: 131072 });
    const r = createPageReporting({ area, device: dev, scheduler: s });
    s.runAll(() => { area.check(); checkPageReportingInvariants(r); });
    console.log(r.stats(), s.now() / 1e9, dev.discardedPages);
    expect(dev.discardedPages).toBe(131072);
  });
});
