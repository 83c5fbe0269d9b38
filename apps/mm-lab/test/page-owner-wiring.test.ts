import { GFP_KERNEL, TASK_IN_PAGE_OWNER } from "@mm/api";
import { printedMigratetypes } from "@mm/api";
import { pagetypeinfoMixedSection, readPageOwnerFile } from "@mm/page-owner";
import { describe, expect, it } from "vitest";
import { bootOwnerSystem, runBootWorkload } from "../src/experiments/page-owner-wiring.js";

describe("page_owner wired to buddy and stackdepot", () => {
  it("boots a 256 MiB 6.1 machine: the kernel's page_ext line, early pages, free memory charged", () => {
    const sys = bootOwnerSystem({ memoryBytes: 256 << 20, era: "6.1" });
    expect(sys.dmesg).toContain("allocated 4194304 bytes of page_ext");
    expect(sys.freeBefore - sys.freeAfter).toBeGreaterThanOrEqual(1024);
    const early = sys.dmesg.filter((l) => l.includes("page owner found early allocated"));
    expect(early.length).toBe(sys.view.zones.length);
    sys.machine.checkInvariants();
    sys.owner.checkInvariants();
  });

  it("runs the boot workload with real recursion through the depot", () => {
    const sys = bootOwnerSystem({ memoryBytes: 256 << 20, era: "6.1" });
    const r = runBootWorkload(sys, 500);
    expect(r.failed).toBe(0);
    sys.machine.checkInvariants();
    sys.owner.checkInvariants();
    expect(sys.init.flags & TASK_IN_PAGE_OWNER).toBe(0);
    const dump = readPageOwnerFile(sys.owner);
    expect(dump).toContain("kernfs_new_node");
    void GFP_KERNEL;
  });

  it("gives buddy's /proc/pagetypeinfo its Number of mixed blocks section", () => {
    const sys = bootOwnerSystem({ memoryBytes: 256 << 20, era: "6.1" });
    runBootWorkload(sys, 300);
    const pti = sys.pagetypeinfo();
    const section = pagetypeinfoMixedSection(sys.owner, 0, printedMigratetypes(sys.machine.config));
    expect(section.startsWith("\nNumber of mixed blocks    Unmovable")).toBe(true);
    expect(pti.endsWith(section)).toBe(true);
  });
});
