/** Boots a fake machine with page_ext and page_owner for the owner tests. */
import { createPageExt, type PageExt } from "@mm/page-ext";
import {
  createPageOwner,
  depotStorage,
  inlineStorage,
  type OwnerDepot,
  type OwnerEra,
  type PageOwner,
  type RecursionGuard,
} from "../../src/index.js";
import { FakeClock, FakeDepot, FakeMachine, FakeSymbols, FakeTask, FakeTasks } from "./fakes.js";

/** The init task's frames in the 6.1 fixture (outermost first). */
export const INIT_FRAMES = ["ret_from_fork+0x22/0x30", "kernel_init+0x11/0x110", "kernel_init_freeable+0x13c/0x26b"];

export interface Booted {
  sym: FakeSymbols;
  clock: FakeClock;
  init: FakeTask;
  tasks: FakeTasks;
  m: FakeMachine;
  depot: FakeDepot;
  pe: PageExt;
  po: PageOwner;
  lines: string[];
  /** A user task with a short syscall stack. */
  user: FakeTask;
  /** Push frames (outermost first) on a task. */
  frames(task: FakeTask, texts: readonly string[]): void;
  check(): void;
}

export interface BootOptions {
  era?: OwnerEra;
  guard?: RecursionGuard;
  inline?: boolean;
  pages?: number;
  /** Pages [0, reserved) are memblock-reserved (never in the buddy allocator). */
  reserved?: number;
  /** Pages grabbed before page_owner init (early allocations). */
  early?: number;
  perPool?: number;
  onUnwind?: (b: Booted) => void;
  enabled?: boolean;
  /** Clock at boot (early pages are stamped with it). @defaultValue 0 */
  clockStart?: number;
  traceMemo?: boolean;
  /** Use this depot (e.g. the real @mm/stackdepot) instead of the fake. */
  depot?: (m: FakeMachine) => OwnerDepot;
}

export function boot(o: BootOptions = {}): Booted {
  const era = o.era ?? "6.1";
  const sym = new FakeSymbols();
  const clock = new FakeClock();
  clock.t = o.clockStart ?? 0;
  const init = new FakeTask(1, 1, "swapper/0");
  for (const f of INIT_FRAMES) init.push(sym.intern(f));
  const tasks = new FakeTasks(init);
  const m = new FakeMachine(o.pages ?? 8192, tasks, sym);
  const reserved = o.reserved ?? 0;
  m.reserved.fill(1, 0, reserved);
  m.used.fill(1, 0, reserved);
  for (let i = 0; i < (o.early ?? 0); i++) m.grab(0);
  const depot = new FakeDepot(m, o.perPool ?? 4);
  const lines: string[] = [];
  const pe = createPageExt({
    ranges: [{ startPfn: 0, endPfn: m.nrPages }],
    log: (l) => lines.push(l),
    // need_shared_flags arrived in 6.3: 6.1 and older always reserve the flags word.
    flagsWord: era === "6.10" || era === "6.19" ? "shared" : "always",
  });
  const b = { sym, clock, init, tasks, m, depot, pe, lines } as Booted;
  const po = createPageOwner({
    pageExt: pe,
    era,
    storage: (o.inline ?? era === "v4.6") ? inlineStorage() : depotStorage(o.depot !== undefined ? o.depot(m) : depot),
    ...(o.guard !== undefined ? { guard: o.guard } : {}),
    ...(o.enabled !== undefined ? { enabled: o.enabled } : {}),
    ...(o.traceMemo !== undefined ? { traceMemo: o.traceMemo } : {}),
    tasks,
    clock,
    symbols: sym,
    memory: m,
    log: (l) => lines.push(l),
    ...(o.onUnwind !== undefined ? { onUnwind: () => o.onUnwind!(b) } : {}),
  });
  m.hooks.push(po.hooks);
  b.po = po;
  b.frames = (task, texts) => {
    for (const t of texts) task.push(sym.intern(t));
  };
  b.user = new FakeTask(4242, 4240, "memhog");
  b.frames(b.user, ["entry_SYSCALL_64_after_hwframe+0x63/0xcd", "do_syscall_64+0x3b/0x90", "memhog_main+0x40/0x100", "alloc_pages+0x90/0x1a0"]);
  b.check = () => {
    pe.checkInvariants();
    po.checkInvariants();
  };
  pe.init();
  b.check();
  return b;
}

/** Frame texts of an id list. */
export function texts(b: Booted, ids: readonly number[]): string[] {
  return ids.map((id) => b.sym.symbolize(id));
}
