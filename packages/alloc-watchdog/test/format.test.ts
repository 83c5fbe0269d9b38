import {
  GFP_HIGHUSER_MOVABLE,
  GFP_KERNEL,
  GFP_KERNEL_ACCOUNT,
  GFP_NOFS,
  GFP_NOIO,
  GFP_TRANSHUGE,
  __GFP_COMP,
  __GFP_NOWARN,
  __GFP_RETRY_MAYFAIL,
  __GFP_THISNODE,
  __GFP_ZERO,
} from "@mm/api";
import { describe, expect, it } from "vitest";
import {
  eraGfpValue,
  formatEraGfpMask,
  formatMemAllocInfo,
  formatMemAllocLine,
  formatStallLine,
  formatSuppressedLine,
  kernelComm,
} from "../src/index.js";

describe("gfp masks of the reporters' era", () => {
  it("reproduces masks quoted from 4.9 and 4.10–4.14 logs", () => {
    // 4.9: kmallocwd's documentation example and kernel-spec §1.9's 4.9 trace values
    expect(formatEraGfpMask(GFP_NOIO, "4.9")).toBe("0x2400000(GFP_NOIO)");
    expect(formatEraGfpMask(GFP_KERNEL, "4.9")).toBe("0x24000c0(GFP_KERNEL)");
    expect(formatEraGfpMask(GFP_HIGHUSER_MOVABLE | __GFP_ZERO, "4.9")).toBe("0x24280ca(GFP_HIGHUSER_MOVABLE|__GFP_ZERO)");
    // 4.10–4.14 (___GFP_OTHER_NODE gone): the numbers of the 2017 stall reports
    expect(formatEraGfpMask(GFP_KERNEL, "4.14")).toBe("0x14000c0(GFP_KERNEL)");
    expect(formatEraGfpMask(GFP_HIGHUSER_MOVABLE, "4.14")).toBe("0x14200ca(GFP_HIGHUSER_MOVABLE)");
    expect(formatEraGfpMask(GFP_KERNEL_ACCOUNT | __GFP_ZERO, "4.14")).toBe("0x15080c0(GFP_KERNEL_ACCOUNT|__GFP_ZERO)");
    expect(formatEraGfpMask(GFP_NOFS | __GFP_NOWARN | __GFP_COMP, "4.14")).toBe("0x1404240(GFP_NOFS|__GFP_NOWARN|__GFP_COMP)");
    // the renamed retry bit
    expect(formatEraGfpMask(GFP_KERNEL | __GFP_RETRY_MAYFAIL, "4.9")).toBe("0x24004c0(GFP_KERNEL|__GFP_REPEAT)");
    expect(formatEraGfpMask(GFP_KERNEL | __GFP_RETRY_MAYFAIL, "4.14")).toBe("0x14004c0(GFP_KERNEL|__GFP_RETRY_MAYFAIL)");
    expect(eraGfpValue(GFP_TRANSHUGE, "4.14")).toBe(0x4342ca);
    // THP allocation stalls of 4.14 printed exactly this
    expect(formatEraGfpMask(GFP_TRANSHUGE | __GFP_THISNODE, "4.14")).toBe("0x4742ca(GFP_TRANSHUGE|__GFP_THISNODE)");
  });

  it("prints today's numbering through @mm/api for 6.1 and current", () => {
    expect(formatEraGfpMask(GFP_KERNEL, "6.1")).toBe("0xcc0(GFP_KERNEL)");
    expect(formatEraGfpMask(GFP_NOIO, "current")).toBe("0xc00(GFP_NOIO)");
  });
});

describe("exact lines", () => {
  it("MemAlloc: the example line of kmallocwd's documentation", () => {
    const line = formatMemAllocLine("kworker/3:1", 70, 0x4208060, 9462, { seq: 5, gfp: GFP_NOIO, order: 0, delay: 8207 }, true, false, false, false, "4.9");
    expect(line).toBe("MemAlloc: kworker/3:1(70) flags=0x4208060 switches=9462 seq=5 gfp=0x2400000(GFP_NOIO) order=0 delay=8207 uninterruptible");
  });

  it("MemAlloc: without the allocation part, with every state suffix in kmallocwd's order", () => {
    expect(formatMemAllocLine("kswapd0", 45, 0xa40840, 23, null, false, false, false, false, "4.9")).toBe("MemAlloc: kswapd0(45) flags=0xa40840 switches=23");
    expect(formatMemAllocLine("a.out", 1000, 0x400044, 7, null, true, true, true, true, "4.9")).toBe(
      "MemAlloc: a.out(1000) flags=0x400044 switches=7 uninterruptible exiting dying victim",
    );
  });

  it("MemAlloc-Info", () => {
    expect(formatMemAllocInfo(3914, 0, 0, 1, 12)).toBe("MemAlloc-Info: stalling=3914 dying=0 exiting=0 victim=1 oom_count=12");
  });

  it("the warn_alloc stall line in the 4.9 and 4.14 layouts", () => {
    expect(formatStallLine("a.out", 10004, 0, GFP_HIGHUSER_MOVABLE, "4.9", "4.9")).toBe(
      "a.out: page allocation stalls for 10004ms, order:0, mode:0x24200ca(GFP_HIGHUSER_MOVABLE)",
    );
    expect(formatStallLine("kworker/u16:1", 10012, 0, GFP_NOFS | __GFP_NOWARN | __GFP_COMP, "4.14", "4.14")).toBe(
      "kworker/u16:1: page allocation stalls for 10012ms, order:0, mode:0x1404240(GFP_NOFS|__GFP_NOWARN|__GFP_COMP), nodemask=(null)",
    );
    expect(formatSuppressedLine("warn_alloc", 3)).toBe("warn_alloc: 3 callbacks suppressed");
  });

  it("comm is cut to TASK_COMM_LEN - 1 bytes", () => {
    expect(kernelComm("0123456789abcdefXYZ")).toBe("0123456789abcde");
    expect(kernelComm("short")).toBe("short");
  });
});
