/**
 * The formats produced from the simulator's page_owner state (era 6.19): show_stacks,
 * show_handles + show_stacks_handles joined by handle, and the debugfs dump must tell the same
 * story per stack, before and after a workload; and the diffs of all three routes agree.
 */
import { GFP_KERNEL } from "@mm/api";
import { createPageExt } from "@mm/page-ext";
import {
  createPageOwner,
  depotStorage,
  HandleFrames,
  parsePageOwnerStacksText,
  readPageOwnerFile,
  showHandles,
  showStacks,
  showStacksHandles,
  SnapshotDiff,
  SnapshotReader,
  StackTable,
  type PageOwner,
} from "@mm/page-owner";
import { createStackDepot } from "@mm/stackdepot";
import { expect, it } from "vitest";
import { FakeClock, FakeMachine, FakeSymbols, FakeTask, FakeTasks } from "../../owner/fakes.js";
import { prng } from "./kernel-print.js";

interface Snap {
  dump: string;
  stacks: string;
  handles: string;
  stacksHandles: string;
}

function world(): { snap: () => Snap; run: (seed: number, n: number) => void; owner: PageOwner; machine: FakeMachine; live: [number, number][] } {
  const symbols = new FakeSymbols();
  const clock = new FakeClock();
  const init = new FakeTask(1, 1, "swapper/0");
  const tasks = new FakeTasks(init);
  const machine = new FakeMachine(1 << 15, tasks, symbols);
  const log = (): void => {};
  const pageExt = createPageExt({ ranges: [{ startPfn: 0, endPfn: machine.nrPages }], log });
  const depot = createStackDepot({ era: "current", pageSource: machine, memoryBytes: 32 << 20, log });
  const owner = createPageOwner({ pageExt, era: "6.19", storage: depotStorage(depot), tasks, clock, symbols, memory: machine, log });
  machine.hooks.push(owner.hooks);
  pageExt.init();
  const live: [number, number][] = [];
  const run = (seed: number, n: number): void => {
    const r = prng(seed);
    for (let i = 0; i < n; i++) {
      if (live.length !== 0 && r() < 0.35) {
        const [pfn, order] = live.splice(Math.floor(r() * live.length), 1)[0];
        machine.freePages(pfn, order);
        continue;
      }
      const t = new FakeTask(100 + Math.floor(r() * 4), 100, "worker");
      t.push(symbols.intern(`site${Math.floor(r() * 40)}+0x10/0x80`));
      t.push(symbols.intern(`caller${Math.floor(r() * 3)}+0x20/0x90`));
      tasks.cur = t;
      clock.t += 1000;
      const order = Math.floor(r() * 3);
      const pfn = machine.allocPages(order, GFP_KERNEL);
      tasks.cur = init;
      if (pfn >= 0) live.push([pfn, order]);
    }
  };
  const snap = (): Snap => ({
    dump: readPageOwnerFile(owner),
    stacks: showStacks(owner),
    handles: showHandles(owner),
    stacksHandles: showStacksHandles(owner),
  });
  return { snap, run, owner, machine, live };
}

/** Reads a text into a diff side through SnapshotReader. */
function feed(d: SnapshotDiff, side: 0 | 1, text: string, frames?: HandleFrames): string | null {
  const r = new SnapshotReader(d, side, { strict: true, ...(frames === undefined ? {} : { frames }) });
  r.push(Buffer.from(text, "latin1"));
  r.end();
  return r.format;
}

function framesOf(text: string): HandleFrames {
  const f = new HandleFrames();
  for (const e of parsePageOwnerStacksText(text, { strict: true }).entries) f.add(e);
  return f;
}

it("simulator 6.19: show_stacks = show_handles joined to show_stacks_handles; dump agrees per stack", () => {
  const w = world();
  w.run(1, 3000);
  const s = w.snap();
  const fromStacks = new Map<string, number>();
  for (const e of parsePageOwnerStacksText(s.stacks, { strict: true }).entries) fromStacks.set(e.framesText ?? "", e.nrBasePages ?? 0);
  const table = new StackTable(framesOf(s.stacksHandles));
  for (const e of parsePageOwnerStacksText(s.handles, { strict: true }).entries) table.add(e);
  expect(table.unresolved).toBe(0);
  expect(new Map(table.rows.map((r) => [r.framesText ?? "", r.nrBasePages]))).toEqual(fromStacks);
  expect(fromStacks.size).toBeGreaterThan(50);

  // the dump, grouped by stack (SnapshotDiff side 0 as an accumulator), for the workload's stacks
  const d = new SnapshotDiff();
  expect(feed(d, 0, s.dump)).toBe("page_owner");
  for (const [k, v] of fromStacks) if (k.includes("site")) expect(d.count(0, k), k).toBe(v);
});

it("diffs of dumps, of show_stacks and of show_handles (by handle, and by stack via frames) agree", () => {
  const w = world();
  w.run(2, 2000);
  const a = w.snap();
  w.run(3, 2000);
  const b = w.snap();
  const frames = framesOf(b.stacksHandles); // the later read covers the earlier handles

  const byStacks = new SnapshotDiff();
  expect(feed(byStacks, 0, a.stacks)).toBe("show_stacks");
  feed(byStacks, 1, b.stacks);
  const viaHandles = new SnapshotDiff();
  expect(feed(viaHandles, 0, a.handles, frames)).toBe("show_handles");
  feed(viaHandles, 1, b.handles, frames);
  expect(viaHandles.changes()).toEqual(byStacks.changes());

  const dumps = new SnapshotDiff();
  feed(dumps, 0, a.dump);
  feed(dumps, 1, b.dump);
  const site = (c: { key: string | number }): boolean => typeof c.key === "string" && c.key.includes("site");
  // same changes; ties in delta are listed in first-seen order, which is pfn order in a dump
  const byKey = (x: { key: string | number }, y: { key: string | number }): number => (String(x.key) < String(y.key) ? -1 : 1);
  expect(dumps.changes().filter(site).sort(byKey)).toEqual(byStacks.changes().filter(site).sort(byKey));

  const byHandle = new SnapshotDiff();
  for (const [side, t] of [[0, a.handles], [1, b.handles]] as const) {
    const r = new SnapshotReader(byHandle, side, { by: "handle", strict: true });
    r.push(Buffer.from(t));
    r.end();
  }
  expect(byHandle.changes().map((c) => [frames.get(c.key as number), c.delta])).toEqual(byStacks.changes().map((c) => [c.key, c.delta]));
  const t = byStacks.totals();
  expect(t.gained - t.lost).toBe(t.pagesAfter - t.pagesBefore);
  expect(byStacks.changes().length).toBeGreaterThan(10);
});

it("a dump's memcg trailer lines are a diff key (--by=memcg)", () => {
  const w = world();
  w.run(4, 1500);
  const charge = (cg: string, every: number, online = true): void => {
    w.live.forEach(([pfn], i) => {
      if (i % every === 0) w.machine.memcgs.set(pfn, { objcgs: i % 2 === 0, kmem: i % 2 === 0, online, name: cg });
    });
  };
  charge("/system.slice", 3);
  const a = w.snap().dump;
  charge("/user.slice", 2, false);
  const b = w.snap().dump;
  expect(b).toMatch(/\nSlab cache page\nCharged \(via objcg\) to offline memcg \/user.slice\n/);
  const want = (text: string): Map<string, number> => {
    const m = new Map<string, number>();
    for (const rec of text.split("\n\n")) {
      const order = /order (\d+),/.exec(rec);
      if (order === null) continue;
      const cg = /\nCharged (?:\(via objcg\) )?to (offline )?memcg (.*)/.exec(rec);
      const key = cg === null ? "no memcg" : `memcg ${cg[1] ?? ""}${cg[2]}`;
      m.set(key, (m.get(key) ?? 0) + 2 ** Number(order[1]));
    }
    return m;
  };
  const d = new SnapshotDiff();
  for (const [side, t] of [[0, a], [1, b]] as const) {
    const r = new SnapshotReader(d, side, { by: "memcg", strict: true });
    r.push(t);
    r.end();
  }
  for (const side of [0, 1] as const) for (const [k, v] of want(side === 0 ? a : b)) expect(d.count(side, k), k).toBe(v);
  expect(d.changes().map((c) => c.key).sort()).toEqual(["memcg /system.slice", "memcg offline /user.slice", "no memcg"]);
});
