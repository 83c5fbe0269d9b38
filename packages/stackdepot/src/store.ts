/**
 * The "any npm user" entry: intern frame strings (e.g. lines of `new Error().stack`) to u32 ids
 * and keep deduplicated traces behind 32-bit handles, on the same engine as the kernel model.
 */
import { GFP_KERNEL, MmError, type SymbolTable } from "@mm/api";
import { STACK_DEPOT_FLAG_CAN_ALLOC, STACK_DEPOT_FLAG_GET, STACKDEPOT_MAX_FRAMES, type DepotStats } from "./api.js";
import { StackDepot } from "./depot.js";

/** Frame text <-> id. Ids start at 1 (0 is never a frame); implements @mm/api's SymbolTable. */
export class SymbolInterner implements SymbolTable {
  private readonly ids = new Map<string, number>();
  private readonly texts: string[] = [""];

  /** The id of `text`, interning it on first sight. */
  intern(text: string): number {
    let id = this.ids.get(text);
    if (id === undefined) {
      id = this.texts.length;
      this.texts.push(text);
      this.ids.set(text, id);
    }
    return id;
  }

  /** The text of an id; throws BAD_HANDLE for an id never handed out. */
  symbolize(id: number): string {
    if (!Number.isInteger(id) || id < 1 || id >= this.texts.length)
      throw new MmError("BAD_HANDLE", `unknown frame id ${id}`, { id });
    return this.texts[id];
  }

  /** Number of distinct frames interned. */
  get size(): number {
    return this.texts.length - 1;
  }
}

/**
 * The frames of a V8 `Error.stack` text: the `at ...` lines, trimmed, innermost first, with the
 * first `skip` dropped. Other lines (the message) are ignored.
 */
export function parseStackFrames(stack: string, skip = 0): string[] {
  const out: string[] = [];
  for (const line of stack.split("\n")) {
    const t = line.trim();
    if (t.startsWith("at ")) out.push(t.slice(3));
  }
  return skip > 0 ? out.slice(skip) : out;
}

/** Options of {@link createStackStore}. */
export interface StackStoreOptions {
  /**
   * Frames kept per trace (longer traces are cut before saving, so they still deduplicate).
   * @defaultValue 64
   */
  readonly maxFrames?: number;
  /**
   * Hash buckets (power of two).
   * @defaultValue 16384
   */
  readonly buckets?: number;
  /**
   * Pool cap: at most maxPools x 16 KiB of trace storage; saves beyond return 0.
   * @defaultValue 8192 (128 MiB)
   */
  readonly maxPools?: number;
  /**
   * Reference-count traces: each save takes a reference, `release()` drops one, and a trace
   * with none left is forgotten (its slot reused).
   * @defaultValue false
   */
  readonly refcounted?: boolean;
}

/** Summary numbers of a {@link StackStore}. */
export interface StackStoreStats {
  /** Distinct traces stored. */
  readonly stacks: number;
  /** Distinct frame strings interned. */
  readonly frames: number;
  /** Bytes of trace storage in the kernel's accounting (pools x 16 KiB + table). */
  readonly depotBytes: number;
  /** The engine's full counters. */
  readonly depot: DepotStats;
}

/**
 * Deduplicated stack traces for JavaScript programs.
 * ```ts
 * const store = createStackStore();
 * const h = store.captureStack();          // this call site's stack -> 32-bit handle
 * store.get(h);                            // ["fn (file.js:1:2)", ...]
 * ```
 */
export class StackStore {
  /** The underlying depot (era "current"). */
  readonly depot: StackDepot;
  /** Frame strings <-> ids. */
  readonly symbols: SymbolInterner = new SymbolInterner();
  private readonly maxFrames: number;
  private readonly flags: number;
  private readonly ids: Uint32Array;

  constructor(options: StackStoreOptions = {}) {
    this.maxFrames = options.maxFrames ?? STACKDEPOT_MAX_FRAMES;
    this.depot = new StackDepot({
      era: "current",
      maxFrames: this.maxFrames,
      buckets: options.buckets ?? 1 << 14,
      ...(options.maxPools !== undefined ? { maxPools: options.maxPools } : {}),
    });
    this.flags = STACK_DEPOT_FLAG_CAN_ALLOC | (options.refcounted === true ? STACK_DEPOT_FLAG_GET : 0);
    this.ids = new Uint32Array(this.maxFrames);
  }

  /** Store a trace (innermost frame first); returns its handle, 0 for an empty trace or when full. */
  save(frames: readonly string[]): number {
    const n = Math.min(frames.length, this.maxFrames);
    for (let i = 0; i < n; i++) this.ids[i] = this.symbols.intern(frames[i]);
    return this.depot.save(this.ids, n, GFP_KERNEL, this.flags);
  }

  /** Store a trace of frame ids from {@link symbols} (no string work). */
  saveIds(ids: Uint32Array, count: number = ids.length): number {
    for (let i = 0; i < count; i++)
      if (ids[i] === 0 || ids[i] > this.symbols.size) throw new MmError("EINVAL", `frame id ${ids[i]} was never interned`);
    return this.depot.save(ids, Math.min(count, this.maxFrames), GFP_KERNEL, this.flags);
  }

  /**
   * Capture the caller's stack (`Error.captureStackTrace`), drop `skip` more frames, and store it.
   * How deep V8 looks is `Error.stackTraceLimit` (10 by default).
   */
  captureStack(skip = 0): number {
    const holder: { stack?: string } = {};
    Error.captureStackTrace(holder);
    // Frame 0 is captureStack itself.
    return this.save(parseStackFrames(holder.stack ?? "", skip + 1));
  }

  /** The frames behind a handle, or undefined for an unknown / released handle. */
  get(handle: number): string[] | undefined {
    const ids = this.depot.fetchFrames(handle);
    if (ids.length === 0) return undefined;
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) out.push(this.symbols.symbolize(ids[i]));
    return out;
  }

  /** Drop one reference (refcounted stores only). */
  release(handle: number): void {
    this.depot.put(handle);
  }

  stats(): StackStoreStats {
    const d = this.depot.stats();
    return { stacks: d.uniqueStacks, frames: this.symbols.size, depotBytes: d.totalBytes, depot: d };
  }
}

/** Create a {@link StackStore}. */
export function createStackStore(options: StackStoreOptions = {}): StackStore {
  return new StackStore(options);
}
