/**
 * Small stand-ins for the allocator, tasks, clock, symbols and stackdepot, so the package is tested
 * behind its own interfaces (the app tests it against @mm/buddy, @mm/sim and @mm/stackdepot).
 */
import type { AllocHooks, Clock, Task, TaskContext } from "@mm/api";
import type { PageStateReader, RenderContext, StackStore } from "../src/index.js";

export class FakeClock implements Clock {
  t = 0;
  now(): number {
    return this.t;
  }
}

/** The depot's own frame interner stands in for @mm/sim's symbol table (same SymbolTable contract). */
import { SymbolInterner as FakeSymbols } from "@mm/stackdepot";
export { FakeSymbols };

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
 * Pages with refcounts and the struct page fields the tracer reads; calls hooks like @mm/buddy
 * (get after the increment, put after the decrement, freePrepare when the count reaches 0), with
 * one array per hook method walked in a plain loop and spliced in place on unsubscribe, as buddy does.
 */
export class FakeMachine implements PageStateReader {
  readonly count: Int32Array;
  readonly flags: Uint32Array;
  readonly mapcount: Int32Array;
  readonly mapping: Uint32Array;
  readonly mt: Uint8Array;
  readonly zone: Uint8Array;
  readonly getFns: ((pfn: number, count: number) => void)[] = [];
  readonly putFns: ((pfn: number, count: number) => void)[] = [];
  readonly freeFns: ((pfn: number, order: number) => void)[] = [];
  readonly failFns: ((pfn: number, reason: number, err: number) => void)[] = [];
  constructor(readonly nrPages: number) {
    this.count = new Int32Array(nrPages);
    this.flags = new Uint32Array(nrPages);
    this.mapcount = new Int32Array(nrPages);
    this.mapping = new Uint32Array(nrPages);
    this.mt = new Uint8Array(nrPages).fill(1);
    this.zone = new Uint8Array(nrPages).fill(2);
  }
  /** Subscriptions alive (one per addHooks call not yet undone). */
  subscriptions = 0;
  subscribe = (h: AllocHooks): (() => void) => {
    const added: [unknown[], unknown][] = [];
    const add = <F>(arr: F[], fn: F | undefined): void => {
      if (fn === undefined) return;
      arr.push(fn);
      added.push([arr, fn]);
    };
    add(this.getFns, h.get?.bind(h));
    add(this.putFns, h.put?.bind(h));
    add(this.freeFns, h.freePrepare?.bind(h));
    add(this.failFns, h.migrateFail?.bind(h));
    this.subscriptions++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.subscriptions--;
      for (const [arr, b] of added) arr.splice(arr.indexOf(b), 1);
    };
  };
  alloc(pfn: number): void {
    if (this.count[pfn] !== 0) throw new Error(`pfn ${pfn} is allocated`);
    this.count[pfn] = 1;
  }
  get(pfn: number): void {
    const c = ++this.count[pfn];
    const fns = this.getFns;
    for (let i = 0; i < fns.length; i++) fns[i](pfn, c);
  }
  put(pfn: number): void {
    const c = --this.count[pfn];
    const fns = this.putFns;
    for (let i = 0; i < fns.length; i++) fns[i](pfn, c);
    if (c === 0) this.freePrepare(pfn, 0);
  }
  freePrepare(pfn: number, order: number): void {
    const fns = this.freeFns;
    for (let i = 0; i < fns.length; i++) fns[i](pfn, order);
  }
  migrateFail(pfn: number, reason: number, err: number): void {
    const fns = this.failFns;
    for (let i = 0; i < fns.length; i++) fns[i](pfn, reason, err);
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
