/**
 * page_owner's statics and per-page arrays as one object: what mm/page_owner.c keeps in globals
 * (page_owner_inited, the three special handles, stack_list) and in each page's `struct
 * page_owner` (here struct-of-arrays indexed by pfn). The rooms (save-stack.ts, hooks.ts,
 * migrate.ts, init.ts, invariants.ts) are free functions over it; PageOwner owns it.
 */
import type { Clock, SymbolTable } from "@mm/api";
import { PAGE_EXT_OWNER, PAGE_EXT_OWNER_ALLOCATED, type PageExt, type PageExtClient } from "@mm/page-ext";
import { PAGE_OWNER_STACK_DEPTH, type OwnerDepot, type OwnerMemoryView, type RecursionGuard, type ShadowTaskContext } from "./api.js";
import type { EraTraits } from "./era.js";
import type { StackCounts } from "./stack-counts.js";
import { AllocRecords, FreeRecords } from "./records.js";
import type { TraceMemo } from "./trace-memo.js";

/** PAGE_EXT_OWNER | PAGE_EXT_OWNER_ALLOCATED as a mask. */
export const OWNER_BITS = (1 << PAGE_EXT_OWNER) | (1 << PAGE_EXT_OWNER_ALLOCATED);
/** ~PAGE_EXT_OWNER_ALLOCATED. */
export const CLEAR_ALLOCATED = ~(1 << PAGE_EXT_OWNER_ALLOCATED);
/** ~(both bits): before ~5.4 a free cleared PAGE_EXT_OWNER itself. */
export const CLEAR_OWNER = ~OWNER_BITS;
/** Up to this many pages a record is written with plain stores rather than fill() calls. */
export const SMALL_RUN = 16;

/**
 * page_owner's page_ext fields, per page: the order (split_page_owner rewrites it page by page)
 * and two indices into the shared record tables (records.ts). 9 bytes a page plus page_ext's flags
 * word; the C layout of struct page_owner is only accounted (era.ts).
 */
export const DEPOT_FIELDS = {
  order: { kind: "u8" },
  alloc: { kind: "u32" },
  free: { kind: "u32" },
} as const;
/** Inline storage keeps its 8 frames in the allocation records too. */
export const INLINE_FIELDS = DEPOT_FIELDS;
export type OwnerFields = typeof DEPOT_FIELDS;

/** What the constructor resolves before the state exists. */
export interface OwnerConfig {
  readonly traits: EraTraits;
  readonly inline: boolean;
  readonly depot: OwnerDepot | null;
  readonly guard: RecursionGuard;
  readonly guardKind: number;
  readonly tasks: ShadowTaskContext;
  readonly clock: Clock;
  readonly symbols: SymbolTable;
  readonly memory: OwnerMemoryView;
  readonly pageExt: PageExt;
  readonly log: (line: string) => void;
  readonly onUnwind: (() => void) | null;
  readonly depth: number;
  readonly memo: TraceMemo | null;
}

/** Mutable page_owner state. */
export class OwnerCore {
  readonly traits: EraTraits;
  readonly inline: boolean;
  readonly depot: OwnerDepot | null;
  readonly guard: RecursionGuard;
  /** guardKind(guard): the built-in guards run inline on the hot path (same effects, no calls). */
  readonly guardKind: number;
  readonly tasks: ShadowTaskContext;
  readonly clock: Clock;
  readonly symbols: SymbolTable;
  readonly memory: OwnerMemoryView;
  readonly pageExt: PageExt;
  readonly log: (line: string) => void;
  readonly onUnwind: (() => void) | null;
  /** Frames kept per trace (PAGE_OWNER_STACK_DEPTH, or 8 inline). */
  readonly depth: number;
  readonly skip: number;
  /** trace -> handle memo in front of the depot (a model-only option), or null. */
  readonly memo: TraceMemo | null;
  /** Frame ids of page_owner's own frames, interned once. */
  readonly allocOuter: number;
  readonly allocInner: number;
  readonly freeOuter: number;
  readonly freeInner: number;

  /** `page_owner_inited`: init ran (the static key is on). */
  inited = false;
  dummyHandle = 0;
  failureHandle = 0;
  earlyHandle = 0;
  /** Per-stack base-page counts (6.9+), or null. */
  counts: StackCounts | null = null;
  readonly stats = { earlyPages: [] as number[], dummy: 0, failure: 0, saves: 0 };

  /** Scratch for init-time captures. */
  readonly raw = new Uint32Array(PAGE_OWNER_STACK_DEPTH + 8);
  /**
   * save_stack's on-stack `entries[]`, one buffer per nesting level: the depot may re-enter
   * page_owner while the outer call's entries are still in use.
   */
  readonly levels: Uint32Array<ArrayBuffer>[] = [];
  level = 0;
  /** The buffer and frame count the last save_stack left (inline storage reads them). */
  lastBuf: Uint32Array<ArrayBuffer> = this.raw;
  rawN = 0;

  /** Interned comm strings (char comm[16] in the kernel). */
  readonly comms: string[] = [""];
  readonly commIds = new Map<string, number>();
  lastComm = "";
  lastCommId = 0;

  // Per-page arrays, bound in init (typed as empty until then).
  flags = new Uint32Array(0);
  order = new Uint8Array(0);
  /** Index into `a` (allocation side) and `f` (free side) per page; 0 = the zeroed record. */
  alloc = new Uint32Array(0);
  free = new Uint32Array(0);
  /** The record tables the per-page indices point into. */
  readonly a: AllocRecords;
  readonly f = new FreeRecords();
  /** The last records written (hooks.ts shares an equal one instead of writing another). */
  lastAlloc = 0;
  lastFree = 0;

  constructor(c: OwnerConfig, ownFrame: (name: string) => number) {
    this.traits = c.traits;
    this.inline = c.inline;
    this.depot = c.depot;
    this.guard = c.guard;
    this.guardKind = c.guardKind;
    this.tasks = c.tasks;
    this.clock = c.clock;
    this.symbols = c.symbols;
    this.memory = c.memory;
    this.pageExt = c.pageExt;
    this.log = c.log;
    this.onUnwind = c.onUnwind;
    this.depth = c.depth;
    this.skip = c.traits.skip;
    this.memo = c.memo;
    this.a = new AllocRecords(c.inline);
    this.allocOuter = ownFrame(c.traits.allocFrames[0]);
    this.allocInner = ownFrame(c.traits.allocFrames[1]);
    this.freeOuter = ownFrame(c.traits.freeFrames[0]);
    this.freeInner = ownFrame(c.traits.freeFrames[1]);
  }

  /** Bind the per-page arrays page_ext allocated for the client (init_page_owner time). */
  bind(client: PageExtClient<OwnerFields>): void {
    const d = client.data;
    this.flags = client.flags as Uint32Array<ArrayBuffer>;
    this.order = d.order;
    this.alloc = d.alloc;
    this.free = d.free;
  }
}

/** The interned id of a comm (one-entry cache first: tasks allocate in runs). */
export function commId(s: OwnerCore, comm: string): number {
  if (comm === s.lastComm) return s.lastCommId;
  let id = s.commIds.get(comm);
  if (id === undefined) {
    id = s.comms.length;
    s.comms.push(comm);
    s.commIds.set(comm, id);
  }
  s.lastComm = comm;
  s.lastCommId = id;
  return id;
}
