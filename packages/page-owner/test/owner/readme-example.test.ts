/**
 * The usage example of README.md ("Usage"), run as written so it cannot rot. FakeMachine, FakeTasks,
 * FakeSymbols and FakeClock stand in for @mm/buddy and @mm/sim (not dependencies of this package);
 * page_ext, the stack depot and page_owner are the real packages.
 */
import { GFP_KERNEL } from "@mm/api";
import { createPageExt } from "@mm/page-ext";
import {
  createPageOwner,
  depotStorage,
  dumpPageOwner,
  readPageOwner,
  showStacks,
  writeCountThreshold,
} from "@mm/page-owner";
import { createStackDepot } from "@mm/stackdepot";
import { expect, it } from "vitest";
import { FakeClock, FakeMachine, FakeSymbols, FakeTask, FakeTasks } from "./fakes.js";

it("README usage example", () => {
  // --- README code starts here ---
  const symbols = new FakeSymbols(); // @mm/sim: sim.symbols
  const clock = new FakeClock(); // @mm/sim: sim
  const init = new FakeTask(1, 1, "swapper/0");
  const tasks = new FakeTasks(init); // @mm/sim: sim (current())
  const machine = new FakeMachine(8192, tasks, symbols); // @mm/buddy: createMachine + machineView
  const dmesg: string[] = [];
  const log = (line: string): void => void dmesg.push(line);

  const pageExt = createPageExt({ ranges: [{ startPfn: 0, endPfn: machine.nrPages }], log });
  // Pools come from the allocator page_owner watches: a pool allocation re-enters page_owner.
  const depot = createStackDepot({ era: "current", pageSource: machine, memoryBytes: 32 << 20, log });
  const owner = createPageOwner({
    pageExt,
    era: "6.10",
    storage: depotStorage(depot),
    tasks,
    clock,
    symbols,
    memory: machine,
    log,
  });
  machine.hooks.push(owner.hooks); // @mm/buddy: machine.addHooks(owner.hooks)
  pageExt.init(); // page_ext tables, then init_page_owner: special handles, early pages

  const memhog = new FakeTask(4242, 4240, "memhog");
  memhog.push(symbols.intern("entry_SYSCALL_64_after_hwframe+0x63/0xcd"));
  memhog.push(symbols.intern("memhog_main+0x40/0x100"));
  tasks.cur = memhog;
  clock.t = 1_000_000;
  const pfn = machine.allocPages(2, GFP_KERNEL);
  tasks.cur = init;

  const rec = owner.record(pfn);
  const text = readPageOwner(owner, pfn)?.text;
  const stacks = showStacks(owner);
  writeCountThreshold(owner, "5");
  const filtered = showStacks(owner);

  // 600 new call sites: the depot needs new pools, allocated through page_owner's own hook.
  const worker = new FakeTask(100, 100, "kworker/0:1");
  tasks.cur = worker;
  for (let i = 0; i < 600; i++) {
    worker.push(symbols.intern(`site${i}+0x10/0x80`));
    machine.allocPages(0, GFP_KERNEL);
    worker.pop();
  }
  const kswapd = new FakeTask(77, 77, "kswapd0");
  tasks.cur = kswapd;
  clock.t = 2_000_000;
  machine.freePages(pfn, 2);
  tasks.cur = init;
  const dump = dumpPageOwner(owner, pfn);
  owner.checkInvariants();
  // --- README code ends here ---

  expect(dmesg).toEqual([
    "stackdepot: allocating hash table via alloc_large_system_hash",
    "stackdepot hash table entries: 4096 (order: 4, 65536 bytes, linear)",
    "allocated 2359296 bytes of page_ext",
    "Node 0, zone    DMA32: page owner found early allocated 8 pages",
  ]);
  expect(pageExt.entrySize).toBe(72);
  expect(rec).toMatchObject({ order: 2, pid: 4242, tgid: 4240, comm: "memhog", tsNsec: 1_000_000, allocated: true });
  expect(text).toBe(
    "Page allocated via order 2, mask 0xcc0(GFP_KERNEL), pid 4242, tgid 4240 (memhog), ts 1000000 ns\n" +
      "PFN 0x8 type Unmovable Block 0 type Unmovable Flags 0x8000000000000(node=0|zone=1)\n" +
      " get_page_from_freelist+0x41c/0xf00\n" +
      " __alloc_pages+0x1d7/0x330\n" +
      " memhog_main+0x40/0x100\n" +
      " entry_SYSCALL_64_after_hwframe+0x63/0xcd\n\n",
  );
  expect(stacks).toBe(
    " get_page_from_freelist+0x41c/0xf00\n __alloc_pages+0x1d7/0x330\n memhog_main+0x40/0x100\n" +
      " entry_SYSCALL_64_after_hwframe+0x63/0xcd\nnr_base_pages: 4\n\n",
  );
  expect(filtered).toBe("");
  // Two pools taken after init re-entered page_owner: two dummy_handle saves, 2 x 4 pages.
  expect(owner.counters).toEqual({ earlyPages: [8], dummy: 2, failure: 0, saves: 602 });
  expect(owner.census()).toMatchObject({ dummy: 8, early: 8, failure: 0 });
  expect(owner.stackCount(owner.dummyHandle)).toBe(8);
  expect(dump).toEqual([
    "page_owner tracks the page as freed",
    "page last allocated via order 2, migratetype Unmovable, gfp_mask 0xcc0(GFP_KERNEL), pid 4242, tgid 4240 (memhog), ts 1000000, free_ts 2000000",
    " get_page_from_freelist+0x41c/0xf00",
    " __alloc_pages+0x1d7/0x330",
    " memhog_main+0x40/0x100",
    " entry_SYSCALL_64_after_hwframe+0x63/0xcd",
    "page last free pid 77 tgid 77 stack trace:",
    " free_pcp_prepare+0x1f2/0x2a0",
    " free_unref_page+0x1d/0x130",
  ]);
  expect(owner.stackCount(rec.handle)).toBe(0);
  depot.checkInvariants();
});
