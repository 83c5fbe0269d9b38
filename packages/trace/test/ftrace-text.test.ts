import { describe, expect, it } from "vitest";
import { GFP_KERNEL, GFP_HIGHUSER_MOVABLE, __GFP_ZERO, isMmError } from "@mm/api";
import { copyTraceEvent, EV_ALLOC, EV_EXTFRAG, EV_FREE, EV_ZONE_LOCKED, parseTraceText, type TraceEvent } from "@mm/trace";

const HEADER = `# tracer: nop
#
# entries-in-buffer/entries-written: 12/15   #P:2
#
#                                _-----=> irqs-off/BH-disabled
#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION
#              | |         |   |||||     |         |
`;

function collect(text: string, opts = {}): { events: TraceEvent[]; stats: ReturnType<typeof parseTraceText> } {
  const events: TraceEvent[] = [];
  const stats = parseTraceText(text, (e) => events.push(copyTraceEvent(e)), opts);
  return { events, stats };
}

describe("ftrace text (kernel/trace/trace_output.c layout)", () => {
  it("reads the header, events, and stacks that follow their event on the same CPU", () => {
    const text =
      HEADER +
      "            init-1       [000] d..3.     1.877946: mm_page_alloc_zone_locked: page=(____ptrval____) pfn=0x4b60 order=1 migratetype=0 percpu_refill=1\n" +
      "            true-91      [001] .....     1.877950: mm_page_free: page=(____ptrval____) pfn=0x2a38 order=1\n" +
      "            init-1       [000] d..3.     1.878961: <stack trace>\n" +
      " => trace_event_raw_event_mm_page\n" +
      " => rmqueue_bulk\n" +
      " => get_page_from_freelist\n" +
      "            true-91      [001] .....     1.878970: <stack trace>\n" +
      " => trace_event_raw_event_mm_page_free\n" +
      " => free_unref_page\n" +
      "            init-1       [000] .....     1.879156: mm_page_alloc: page=(____ptrval____) pfn=0x4b60 order=1 migratetype=0 gfp_flags=GFP_KERNEL|__GFP_ZERO\n";
    const { events, stats } = collect(text);
    expect(events.map((e) => e.kind)).toEqual([EV_ZONE_LOCKED, EV_FREE, EV_ALLOC]);
    expect(events[0].stack).toEqual(["rmqueue_bulk", "get_page_from_freelist"]);
    expect(events[0].percpuRefill).toBe(true);
    expect(events[1].stack).toEqual(["free_unref_page"]);
    expect(events[1].pfn).toBe(0x2a38);
    expect(events[1].cpu).toBe(1);
    expect(events[1].comm).toBe("true");
    expect(events[1].pid).toBe(91);
    expect(events[2].gfp).toBe(GFP_KERNEL | __GFP_ZERO);
    expect(events[2].tsNs).toBe(1_879_156_000);
    expect(events[2].line).toBe(17);
    expect(events[2].stack).toEqual([]);
    expect(stats.entriesInBuffer).toBe(12);
    expect(stats.entriesWritten).toBe(15);
    expect(stats.lostEvents).toBe(3); // overwritten entries
    expect(stats.cpus).toBe(2);
  });

  it("accepts decimal pfns (before 5.14), raw hex gfp, a tgid column, CRLF, and counts LOST markers", () => {
    const text =
      "  kworker/0:1-events-33  (   33) [000] .... 10.000001: mm_page_alloc: page=ffffea0000123400 pfn=4660 order=0 migratetype=1 gfp_flags=0x100cca\r\n" +
      "CPU:1 [LOST 42 EVENTS]\n" +
      "   a b-7 [001] ..... 10.5: mm_page_alloc: page=0000000000000000 pfn=0x0 order=2 migratetype=0 gfp_flags=GFP_HIGHUSER_MOVABLE\n";
    const { events, stats } = collect(text);
    expect(events).toHaveLength(2);
    expect(events[0].pfn).toBe(4660);
    expect(events[0].comm).toBe("kworker/0:1-events");
    expect(events[0].gfp).toBe(0x100cca);
    expect(events[0].gfp).toBe(GFP_HIGHUSER_MOVABLE);
    expect(events[1].pfn).toBe(-1); // NULL page: a failed allocation
    expect(events[1].comm).toBe("a b");
    expect(stats.failedAllocs).toBe(1);
    expect(stats.lostMarkers).toBe(1);
    expect(stats.lostEvents).toBe(42);
  });

  it("parses mm_page_alloc_extfrag's fallback fields", () => {
    const { events } = collect(
      "  cc1-100 [000] d..2. 5.000000: mm_page_alloc_extfrag: page=(____ptrval____) pfn=0x1200 alloc_order=0 fallback_order=9 pageblock_order=9 alloc_migratetype=0 fallback_migratetype=1 fragmenting=1 change_ownership=1\n",
    );
    expect(events[0].kind).toBe(EV_EXTFRAG);
    expect(events[0]).toMatchObject({ allocOrder: 0, fallbackOrder: 9, allocMigratetype: 0, fallbackMigratetype: 1, fragmenting: true, changeOwnership: true });
  });

  it("counts other tracepoints and junk; unknown gfp names give -1 and are counted", () => {
    const { events, stats } = collect(
      "  sh-5 [000] ..... 1.0: sched_switch: prev_comm=sh\n" +
        "garbage line\n" +
        "  sh-5 [000] ..... 1.1: mm_page_alloc: page=(____ptrval____) pfn=0x10 order=0 migratetype=0 gfp_flags=GFP_KERNEL|__GFP_FROBNICATE\n",
    );
    expect(stats.otherEvents).toBe(1);
    expect(stats.otherLines).toBe(1);
    expect(events[0].gfp).toBe(-1);
    expect(stats.unknownGfpNames).toBe(1);
  });

  it("strict mode names the line of a malformed kmem event", () => {
    let err: unknown;
    try {
      collect("  sh-5 [000] ..... 1.1: mm_page_free: page=(____ptrval____) order=0\n", { strict: true });
    } catch (e) {
      err = e;
    }
    expect(isMmError(err) && err.code === "PARSE_ERROR" && err.message.includes("line 1")).toBe(true);
  });
});

describe("perf script with callchains", () => {
  it("reads samples and their frames; a blank line ends a sample", () => {
    const text =
      "            bash  1234 [001]  5623.123456: kmem:mm_page_alloc: page=0xffffea0004a3f800 pfn=0x128fe0 order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_ZERO\n" +
      "\tffffffff81234567 __alloc_pages+0x1ce ([kernel.kallsyms])\n" +
      "\tffffffff81234999 alloc_pages_vma+0x9a ([kernel.kallsyms])\n" +
      "\n" +
      "     kworker/u4:2  77/78 [000]  5623.200000:          1 kmem:mm_page_free: page=0xffffea0004a3f800 pfn=0x128fe0 order=0\n" +
      "\tffffffff81100000 free_unref_page+0x10 ([kernel.kallsyms])\n" +
      "\n";
    const { events, stats } = collect(text);
    expect(stats.format).toBe("perf");
    expect(events).toHaveLength(2);
    expect(events[0].stack).toEqual(["__alloc_pages+0x1ce", "alloc_pages_vma+0x9a"]);
    expect(events[0].pfn).toBe(0x128fe0);
    expect(events[0].gfp).toBe(GFP_HIGHUSER_MOVABLE | __GFP_ZERO);
    expect(events[1].kind).toBe(EV_FREE);
    expect(events[1].pid).toBe(78);
    expect(events[1].comm).toBe("kworker/u4:2");
    expect(events[1].stack).toEqual(["free_unref_page+0x10"]);
  });
});

describe("nesting on one CPU", () => {
  it("an interrupt's event and stack between an event and its stack: the stack goes to the newest waiting event", () => {
    const text =
      "  rm-321 [000] ...2. 13.437162: mm_page_free_batched: page=(____ptrval____) pfn=0xcd9b order=0\n" +
      "  rm-321 [000] ..s4. 13.437376: mm_page_free: page=(____ptrval____) pfn=0x160a order=1\n" +
      "  rm-321 [000] ..s4. 13.437423: <stack trace>\n" +
      " => trace_event_raw_event_mm_page_free\n" +
      " => free_unref_page\n" +
      " => rcu_core\n" +
      "  rm-321 [000] ...2. 13.437600: <stack trace>\n" +
      " => trace_event_raw_event_mm_page_free_batched\n" +
      " => free_unref_page_list\n" +
      " => release_pages\n";
    const events: TraceEvent[] = [];
    parseTraceText(text, (e) => events.push(copyTraceEvent(e)));
    expect(events.map((e) => e.pfn)).toEqual([0xcd9b, 0x160a]);
    expect(events[0].stack).toEqual(["free_unref_page_list", "release_pages"]);
    expect(events[1].stack).toEqual(["free_unref_page", "rcu_core"]);
  });
});
