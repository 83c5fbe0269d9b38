/**
 * Small stand-ins for the allocator, tasks, clock, symbols and stackdepot, so the package is tested
 * behind its own interfaces (the app tests it against @mm/buddy, @mm/sim and @mm/stackdepot).
 */
import type { AllocHooks, Clock, SymbolTable, Task, TaskContext } from "@mm/api";
import type { PageStateReader, RenderContext, StackStore } from "../src/index.js";

export class FakeClock implements Clock {
  t = 0;
  now(): number {
    return this.t;
  }
}

export class FakeSymbols implements SymbolTable {
  private readonly ids = new Map<string, number>();
  private readonly texts: string[] = [""];
  intern(text: string): number {
    let id = this.ids.get(text);
    if (id === undefined) {
      id = this.texts.length;
      this.texts.push(text);
      this.ids.set(text, id);
    }
    return id;
  }
  symbolize(id: number): string {
    return this.texts[id] ?? `0x${id.toString(16)}`;
  }
}

export class FakeTask implements Task {
  flags = 0;
  stack = new Uint32Array(64);
  depth = 0;
  constructor(
    readonly pid: number,
    readonly comm: string,
    readonly tgid = pid,
  ) {}
}

export class FakeTasks implements TaskContext {
  cur: FakeTask;
  constructor(
    readonly symbols: FakeSymbols,
    first: FakeTask = new FakeTask(1, "init"),
  ) {
    this.cur = first;
  }
  current(): Task {
    return this.cur;
  }
  /** Make `task` current with a stack given innermost first as symbol texts. */
  run(task: FakeTask, frames: readonly string[]): void {
    this.cur = task;
    task.depth = frames.length;
    for (let i = 0; i < frames.length; i++) task.stack[i] = this.symbols.intern(frames[i]);
  }
}

/** A depot that dedups by content; `onSave` lets a test re-enter from inside save(). */
export class FakeDepot implements StackStore {
  private readonly byKey = new Map<string, number>();
  private readonly stacks: Uint32Array[] = [new Uint32Array(0)];
  saves = 0;
  onSave: (() => void) | null = null;
  save(frames: Uint32Array, n: number, _gfp: number): number {
    this.saves++;
    this.onSave?.();
    const s = frames.slice(0, n);
    const key = s.join(",");
    let h = this.byKey.get(key);
    if (h === undefined) {
      h = this.stacks.length;
      this.stacks.push(s);
      this.byKey.set(key, h);
    }
    return h;
  }
  fetchFrames(handle: number): ArrayLike<number> {
    return this.stacks[handle] ?? new Uint32Array(0);
  }
}

/**
 * Pages with refcounts and the struct page fields the tracer reads; calls hooks like the allocator
 * (get after the increment, put after the decrement, freePrepare when the count reaches 0).
 * The hook list is copy-on-write, so unsubscribing inside a hook is safe.
 */
export class FakeMachine implements PageStateReader {
  readonly count: Int32Array;
  readonly flags: Uint32Array;
  readonly mapcount: Int32Array;
  readonly mapping: Uint32Array;
  readonly mt: Uint8Array;
  readonly zone: Uint8Array;
  hooks: readonly AllocHooks[] = [];
  constructor(readonly nrPages: number) {
    this.count = new Int32Array(nrPages);
    this.flags = new Uint32Array(nrPages);
    this.mapcount = new Int32Array(nrPages);
    this.mapping = new Uint32Array(nrPages);
    this.mt = new Uint8Array(nrPages).fill(1);
    this.zone = new Uint8Array(nrPages).fill(2);
  }
  subscribe = (h: AllocHooks): (() => void) => {
    this.hooks = [...this.hooks, h];
    return () => {
      this.hooks = this.hooks.filter((x) => x !== h);
    };
  };
  alloc(pfn: number): void {
    if (this.count[pfn] !== 0) throw new Error(`pfn ${pfn} is allocated`);
    this.count[pfn] = 1;
  }
  get(pfn: number): void {
    const c = ++this.count[pfn];
    for (const h of this.hooks) h.get?.(pfn, c);
  }
  put(pfn: number): void {
    const c = --this.count[pfn];
    for (const h of this.hooks) h.put?.(pfn, c);
    if (c === 0) for (const h of this.hooks) h.freePrepare?.(pfn, 0);
  }
  migrateFail(pfn: number, reason: number, err: number): void {
    for (const h of this.hooks) h.migrateFail?.(pfn, reason, err);
  }
  pageFlags(pfn: number): number {
    return this.flags[pfn];
  }
  pageCount(pfn: number): number {
    return this.count[pfn];
  }
  pageMapcount(pfn: number): number {
    return this.mapcount[pfn];
  }
  pageMapping(pfn: number): number {
    return this.mapping[pfn];
  }
  pageblockMigratetype(pfn: number): number {
    return this.mt[pfn];
  }
  pageZone(pfn: number): number {
    return this.zone[pfn];
  }
}

/** Everything a tracer needs, wired. */
export function world(nrPages = 64) {
  const clock = new FakeClock();
  const symbols = new FakeSymbols();
  const tasks = new FakeTasks(symbols);
  const depot = new FakeDepot();
  const machine = new FakeMachine(nrPages);
  const words = new Uint32Array(nrPages);
  return { clock, symbols, tasks, depot, machine, words };
}

/** A RenderContext over the fakes. */
export function renderCtx(
  w: ReturnType<typeof world>,
  tracer: { comm(pid: number): string; readonly reasonNames: readonly string[] },
): RenderContext {
  return {
    symbols: w.symbols,
    fetchStack: (h) => w.depot.fetchFrames(h),
    comm: (pid) => tracer.comm(pid),
    reasonNames: tracer.reasonNames,
  };
}
