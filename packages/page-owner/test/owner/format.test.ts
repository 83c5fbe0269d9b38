import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import {
  GFP_HIGHUSER_MOVABLE,
  GFP_KERNEL,
  MIGRATE_MOVABLE,
  MIGRATE_RECLAIMABLE,
  MIGRATE_UNMOVABLE,
  MIGRATETYPE_NAMES,
  MR_COMPACTION,
  MR_LONGTERM_PIN,
  PG_head,
  PG_slab,
  formatGfp,
  isMmError,
  printedMigratetypes,
  __GFP_COMP,
  __GFP_RECLAIMABLE,
} from "@mm/api";
import { describe, expect, it } from "vitest";
import {
  dumpPageOwner,
  mixedBlockCounts,
  pagetypeinfoMixedSection,
  parsePageOwnerText,
  readCountThreshold,
  readPageOwner,
  readPageOwnerFile,
  showHandles,
  showStacks,
  showStacksHandles,
  writeCountThreshold,
} from "../../src/index.js";
import { FakeTask } from "./fakes.js";
import { boot, type Booted } from "./setup.js";

const FIXTURE = gunzipSync(
  readFileSync(new URL("../../../../fixtures/kernel-6.1-256M/page_owner.txt.gz", import.meta.url)),
).toString("latin1");
const FIXTURE_RECORDS = FIXTURE.split(/(?<=\n\n)/);

function allocAs(b: Booted, task: FakeTask, order: number, gfp: number): number {
  b.tasks.cur = task;
  try {
    return b.m.allocPages(order, gfp);
  } finally {
    b.tasks.cur = b.init;
  }
}

/** The fixture's first slab record, its task and stack (frames outermost first). */
const SLAB_TASK_FRAMES = [
  "ret_from_fork+0x22/0x30",
  "kernel_init+0x11/0x110",
  "kernel_init_freeable+0x206/0x26b",
  "do_one_initcall+0x8f/0x17e",
  "devlink_class_init+0x14/0x40",
  "__class_register+0x22/0x160",
  "kmalloc_trace+0x21/0x90",
  "__kmem_cache_alloc_node+0x10d/0x2a0",
  "___slab_alloc+0x2fe/0x860",
  "allocate_slab+0x32f/0x490",
  "alloc_page_interleave+0xa/0x70",
];

describe("debugfs page_owner, 6.1 (the fixture's kernel)", () => {
  it("reproduces the fixture's first record (an early page) byte for byte", () => {
    // Pages below 16 MiB reserved (the fixture's DMA zone had no early pages), the boot left pages
    // allocated from pfn 4096, and page_owner's init ran at ts 507734792.
    const b = bootAt(507734792);
    const first = readPageOwner(b.po, 0)!;
    expect(first.pfn).toBe(4096);
    expect(b.po.record(4096).handle).toBe(b.po.earlyHandle);
    expect(first.text).toBe(FIXTURE_RECORDS[0]);
  });

  it("reproduces the fixture's first slab record, PFN and block aside", () => {
    const b = boot({ reserved: 4096, early: 8 });
    const t = new FakeTask(1, 1, "swapper/0");
    b.frames(t, SLAB_TASK_FRAMES);
    b.clock.t = 595446726;
    const pfn = allocAs(b, t, 1, 0xd20c0);
    b.m.pflags[pfn] = (1 << PG_slab) | (1 << PG_head);
    const r = readPageOwner(b.po, pfn)!;
    expect(r.pfn).toBe(pfn);
    const want = FIXTURE_RECORDS.find((x) => x.includes("devlink_class_init"))!;
    expect(r.text).toBe(want.replace("PFN 4384 ", `PFN ${pfn} `).replace("Block 8 ", `Block ${pfn >> 9} `));
  });

  it("prints the migrate reason and the memcg lines", () => {
    const b = boot();
    const pfn = allocAs(b, b.user, 0, GFP_HIGHUSER_MOVABLE);
    b.tasks.cur = b.user;
    const nw = b.m.migratePage(pfn, MR_LONGTERM_PIN, GFP_HIGHUSER_MOVABLE);
    b.tasks.cur = b.init;
    b.m.memcgs.set(nw, { objcgs: true, kmem: true, online: false, name: "/system.slice" });
    const text = readPageOwner(b.po, nw)!.text;
    expect(text.endsWith("Page has been migrated, last migrate reason: longterm_pin\nSlab cache page\nCharged (via objcg) to offline memcg /system.slice\n\n")).toBe(true);
    b.m.memcgs.set(nw, { objcgs: false, kmem: false, online: true, name: "/" });
    expect(readPageOwner(b.po, nw)!.text.endsWith("longterm_pin\nCharged to memcg /\n\n")).toBe(true);
  });

  it("skips free blocks, freed pages and tail pages; one record per allocation", () => {
    const b = boot();
    const a = allocAs(b, b.user, 2, GFP_KERNEL);
    const c = allocAs(b, b.user, 0, GFP_KERNEL);
    const d = allocAs(b, b.user, 0, GFP_KERNEL);
    b.m.freePages(c, 0);
    const pfns: number[] = [];
    for (let r = readPageOwner(b.po, 0); r !== null; r = readPageOwner(b.po, r.pos)) pfns.push(r.pfn);
    expect(pfns).toContain(a);
    expect(pfns).not.toContain(a + 1);
    expect(pfns).not.toContain(c);
    expect(pfns).toContain(d);
    // lseek(fd, pfn, SEEK_SET) starts at that pfn.
    expect(readPageOwner(b.po, d)!.pfn).toBe(d);
    // After d: only the depot pool taken by c's free stack (GFP_NOWAIT, re-entered: dummy_handle).
    const next = readPageOwner(b.po, d + 1)!;
    expect(next.text.startsWith("Page allocated via order 2, mask 0x2800(GFP_NOWAIT|__GFP_NOWARN)")).toBe(true);
    expect(b.po.record(next.pfn).handle).toBe(b.po.dummyHandle);
    expect(readPageOwner(b.po, next.pos)).toBeNull();
  });

  it("returns -ENOMEM (MmError NOMEM) when the record does not fit the read buffer", () => {
    const b = boot();
    const pfn = allocAs(b, b.user, 0, GFP_KERNEL);
    const len = Buffer.byteLength(readPageOwner(b.po, pfn)!.text);
    expect(readPageOwner(b.po, pfn, len + 1)!.pfn).toBe(pfn);
    let err: unknown;
    try {
      readPageOwner(b.po, pfn, len);
    } catch (e) {
      err = e;
    }
    expect(isMmError(err, "NOMEM")).toBe(true);
  });

  it("a simulated run's dump parses back into the same records", () => {
    const b = boot({ reserved: 64, early: 30 });
    const tasks = [b.user, new FakeTask(300, 300, "kworker/u4:2"), new FakeTask(301, 299, "systemd-journal")];
    b.frames(tasks[1], ["ret_from_fork+0x22/0x30", "worker_thread+0x50/0x3c0", "process_one_work+0x1e5/0x3b0"]);
    b.frames(tasks[2], ["entry_SYSCALL_64_after_hwframe+0x63/0xcd", "do_sys_openat2+0x80/0x160", "shmem_alloc_folio+0x1/0x80"]);
    const gfps = [GFP_KERNEL, GFP_HIGHUSER_MOVABLE | __GFP_COMP, GFP_KERNEL | __GFP_RECLAIMABLE, 0x12cc0];
    const live: [number, number][] = [];
    for (let i = 0; i < 200; i++) {
      b.clock.t += 1000 + i;
      const order = i % 7 === 0 ? 3 : i % 3;
      const pfn = allocAs(b, tasks[i % 3], order, gfps[i % 4]);
      if (i % 5 === 0) b.m.pflags[pfn] = 1 << PG_head;
      live.push([pfn, order]);
      if (i % 4 === 3) {
        const [p, o] = live.splice(i % live.length, 1)[0];
        b.m.freePages(p, o);
      }
      if (i % 11 === 0) {
        const j = live.findIndex(([, o]) => o === 0);
        if (j >= 0) {
          b.tasks.cur = tasks[1];
          const np = b.m.migratePage(live[j][0], MR_COMPACTION, GFP_HIGHUSER_MOVABLE);
          b.tasks.cur = b.init;
          live[j] = [np, 0];
        }
      }
    }
    b.check();
    const dump = readPageOwnerFile(b.po);
    const parsed = parsePageOwnerText(dump, { strict: true });
    expect(parsed.length).toBeGreaterThan(100);
    const frames = new Uint32Array(16);
    for (const p of parsed) {
      const r = b.po.record(p.pfn);
      expect(r.allocated && r.owner).toBe(true);
      expect(p.order).toBe(r.order);
      expect(p.gfp).toBe(r.gfp);
      expect(p.gfpNames).toBe(formatGfp(r.gfp));
      expect([p.pid, p.tgid, p.comm]).toEqual([r.pid, r.tgid, r.comm]);
      expect(p.tsNs).toBe(BigInt(r.tsNsec));
      expect(p.freeTsNs).toBe(BigInt(r.freeTsNsec));
      expect(p.migratetype).toBe(MIGRATETYPE_NAMES[(r.gfp >> 3) & 3]);
      expect(p.block).toBe(p.pfn >> 9);
      expect(p.migrateReason).toBe(r.lastMigrateReason === -1 ? null : "compaction");
      const n = b.po.allocStack(p.pfn, frames);
      expect(p.frames).toEqual([...frames.subarray(0, n)].map((id) => b.sym.symbolize(id)));
    }
    // ...and every allocated, order-aligned record is in the dump exactly once.
    let expected = 0;
    for (let pfn = 0; pfn < 8192; pfn++) {
      const r = b.po.record(pfn);
      if (r.allocated && pfn % (1 << r.order) === 0 && b.m.buddyOrder(pfn) < 0) expected++;
    }
    expect(parsed.length).toBe(expected);
    expect(new Set(parsed.map((p) => p.pfn)).size).toBe(parsed.length);
  });
});

/** Boot with the clock at `ts` when page_owner's init runs. */
function bootAt(ts: number): Booted {
  return boot({ reserved: 4096, early: 288, pages: 8192, clockStart: ts });
}

describe("debugfs page_owner, 6.10+", () => {
  it("drops free_ts and prints the PFN in hex", () => {
    const b = boot({ era: "6.10" });
    b.clock.t = 42;
    const pfn = allocAs(b, b.user, 0, GFP_KERNEL);
    const [l1, l2] = readPageOwner(b.po, pfn)!.text.split("\n");
    expect(l1).toBe("Page allocated via order 0, mask 0xcc0(GFP_KERNEL), pid 4242, tgid 4240 (memhog), ts 42 ns");
    expect(l2).toBe(`PFN 0x${pfn.toString(16)} type Unmovable Block ${pfn >> 9} type Unmovable Flags 0x8000000000000(node=0|zone=1)`);
  });

  it("is not modelled before 6.1", () => {
    const b = boot({ era: "v4.7" });
    expect(() => readPageOwner(b.po, 0)).toThrow(/BAD_CONFIG/);
  });
});

describe("dump_page_owner", () => {
  it("6.1: allocated page, then freed page with its free stack, then migrated", () => {
    const b = boot();
    b.clock.t = 7;
    const pfn = allocAs(b, b.user, 0, GFP_KERNEL);
    expect(dumpPageOwner(b.po, pfn)).toEqual([
      "page_owner tracks the page as allocated",
      "page last allocated via order 0, migratetype Unmovable, gfp_mask 0xcc0(GFP_KERNEL), pid 4242, tgid 4240 (memhog), ts 7, free_ts 0",
      " get_page_from_freelist+0x41c/0xf00",
      " __alloc_pages+0x1d7/0x330",
      " alloc_pages+0x90/0x1a0",
      " memhog_main+0x40/0x100",
      " do_syscall_64+0x3b/0x90",
      " entry_SYSCALL_64_after_hwframe+0x63/0xcd",
      "page_owner free stack trace missing",
    ]);
    b.clock.t = 9;
    b.m.freePages(pfn, 0);
    const freed = dumpPageOwner(b.po, pfn);
    expect(freed[0]).toBe("page_owner tracks the page as freed");
    expect(freed[1].endsWith("ts 7, free_ts 9")).toBe(true);
    expect(freed.slice(8)).toEqual([
      "page last free stack trace:",
      " free_pcp_prepare+0x1f2/0x2a0",
      " free_unref_page+0x1d/0x130",
      " kernel_init_freeable+0x13c/0x26b",
      " kernel_init+0x11/0x110",
      " ret_from_fork+0x22/0x30",
    ]);
    const q = allocAs(b, b.user, 0, GFP_HIGHUSER_MOVABLE);
    const nq = b.m.migratePage(q, MR_COMPACTION, GFP_HIGHUSER_MOVABLE);
    expect(dumpPageOwner(b.po, nq).at(-1)).toBe("page has been migrated, last migrate reason: compaction");
  });

  it("says so for a page never tracked and for a pfn without page_ext", () => {
    const b = boot();
    expect(dumpPageOwner(b.po, 5000)).toEqual(["page_owner info is not present (never set?)"]);
    expect(dumpPageOwner(b.po, 1 << 20)).toEqual(["There is not page extension available."]);
  });

  it("6.10: the free line carries free pid and tgid", () => {
    const b = boot({ era: "6.10" });
    const pfn = allocAs(b, b.user, 0, GFP_KERNEL);
    const k = new FakeTask(61, 60, "kswapd0");
    b.tasks.cur = k;
    b.m.freePages(pfn, 0);
    b.tasks.cur = b.init;
    expect(dumpPageOwner(b.po, pfn)).toContain("page last free pid 61 tgid 60 stack trace:");
  });
});

describe("page_owner_stacks", () => {
  function workload(era: "6.10" | "6.19"): Booted {
    const b = boot({ era });
    const a = new FakeTask(10, 10, "a");
    b.frames(a, ["site_a+0x1/0x10"]);
    const c = new FakeTask(11, 11, "c");
    b.frames(c, ["site_c+0x1/0x10"]);
    for (let i = 0; i < 3; i++) allocAs(b, a, 1, GFP_KERNEL); // 6 pages
    const x = allocAs(b, c, 0, GFP_KERNEL);
    allocAs(b, c, 2, GFP_KERNEL); // 5 pages with x
    b.m.freePages(x, 0); // 4
    b.check();
    return b;
  }

  it("show_stacks lists stacks newest first with nr_base_pages, filtered by count_threshold", () => {
    const b = workload("6.10");
    const out = showStacks(b.po);
    const blocks = out.split("\n\n").filter((s) => s !== "");
    const counts = blocks.map((blk) => Number(/nr_base_pages: (\d+)$/.exec(blk)![1]));
    const c = blocks.findIndex((blk) => blk.includes("site_c"));
    const a = blocks.findIndex((blk) => blk.includes("site_a"));
    expect(c).toBeLessThan(a); // site_c's stack was added after site_a's
    expect(counts[c]).toBe(4);
    expect(counts[a]).toBe(6);
    expect(blocks[a]).toBe(
      " get_page_from_freelist+0x41c/0xf00\n __alloc_pages+0x1d7/0x330\n site_a+0x1/0x10\nnr_base_pages: 6",
    );
    expect(readCountThreshold(b.po)).toBe("0");
    writeCountThreshold(b.po, "5\n");
    expect(readCountThreshold(b.po)).toBe("5");
    const filtered = showStacks(b.po);
    expect(filtered).toContain("site_a");
    expect(filtered).not.toContain("site_c");
    writeCountThreshold(b.po, "0x7");
    expect(showStacks(b.po)).toBe("");
  });

  it("count_threshold rejects what kstrtoull rejects and keeps its value", () => {
    const b = workload("6.10");
    writeCountThreshold(b.po, "010"); // octal
    expect(b.po.countThreshold).toBe(8);
    for (const bad of ["", "-1", " 5", "5 ", "abc", "18446744073709551616", "5\n\n"]) {
      expect(() => writeCountThreshold(b.po, bad)).toThrow(/EINVAL/);
      expect(b.po.countThreshold).toBe(8);
    }
  });

  it("6.19 show_handles and show_stacks_handles", () => {
    const b = workload("6.19");
    const hs = showHandles(b.po);
    const entries = [...hs.matchAll(/handle: (-?\d+)\nnr_base_pages: (\d+)\n\n/g)];
    expect(entries.map((m) => Number(m[2]))).toEqual(expect.arrayContaining([4, 6]));
    expect(hs).toBe(entries.map((m) => m[0]).join(""));
    const all = showStacksHandles(b.po);
    // Unfiltered: every stack of the list, including dummy and failure (count 0 or more).
    expect(all.match(/handle: /g)!.length).toBeGreaterThanOrEqual(entries.length + 1);
    expect(all).toContain(`register_failure_stack+0x31/0x65\n init_page_owner+0x2e/0x300`);
    for (const m of entries) expect(all).toContain(`handle: ${m[1]}\n\n`);
    expect(() => showHandles(boot({ era: "6.10" }).po)).toThrow(/BAD_CONFIG/);
    expect(() => showStacks(boot({ era: "6.1" }).po)).toThrow(/BAD_CONFIG/);
  });
});

describe("pagetypeinfo: Number of mixed blocks", () => {
  it("counts a block once under its own type when an allocated page's gfp type differs", () => {
    const b = boot();
    // Block 2 (pfns 1024..1535) is Movable; an unmovable allocation lands there.
    b.m.pbMt[2] = MIGRATE_MOVABLE;
    b.m.pbMt[3] = MIGRATE_MOVABLE;
    b.m.used.fill(1, 0, 1024); // (pretend) everything below is taken without owner info
    b.m.used.fill(1, 1536, 1600);
    const p = allocAs(b, b.user, 0, GFP_KERNEL);
    expect(p).toBe(1024);
    allocAs(b, b.user, 0, GFP_KERNEL); // same block: still counted once
    const counts = mixedBlockCounts(b.po, b.m.zones[0]);
    expect(counts[MIGRATE_MOVABLE]).toBe(1);
    expect(counts[MIGRATE_UNMOVABLE]).toBe(0);
    expect(counts[MIGRATE_RECLAIMABLE]).toBe(0);
    expect(pagetypeinfoMixedSection(b.po, 0, printedMigratetypes({ cma: false, isolation: true }))).toBe(
      "\nNumber of mixed blocks    Unmovable      Movable  Reclaimable   HighAtomic      Isolate \n" +
        "Node 0, zone    DMA32            0            1            0            0            0 \n",
    );
  });

  it("matches the fixture's header line", () => {
    const pti = readFileSync(new URL("../../../../fixtures/kernel-6.1-256M/proc/pagetypeinfo.txt", import.meta.url), "latin1");
    const b = boot();
    const sec = pagetypeinfoMixedSection(b.po, 0, printedMigratetypes({ cma: false, isolation: true }));
    expect(pti).toContain(sec.split("\n").slice(0, 2).join("\n"));
  });
});
