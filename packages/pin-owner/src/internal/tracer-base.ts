/**
 * What both tracing policies share: filling the one scratch event from struct page and `current`,
 * capturing the stack (guarded against re-entry from the depot), and the counters.
 */
import { __GFP_NOWARN, type Clock, GFP_NOWAIT, MIGRATE_REASON_NAMES, MmError, TASK_IN_TRACE_UNREF, type TaskContext } from "@mm/api";
import { EV_FAIL, type EventKind, type EventSink, newTraceEvent, type PageStateReader, type StackStore, type TraceEvent, type TracerCommonOptions } from "../api.js";

/** The put path cannot sleep: page_pinner saves its stacks with GFP_NOWAIT | __GFP_NOWARN. */
const STACK_GFP = GFP_NOWAIT | __GFP_NOWARN;

export class TracerBase {
  protected readonly tasks: TaskContext;
  protected readonly clock: Clock;
  protected readonly pages: PageStateReader;
  protected readonly depot: StackStore;
  readonly sink: EventSink;
  /** The failure events' own instance, or null when they share `sink`. */
  readonly failSink: EventSink | null;
  private readonly ev: TraceEvent = newTraceEvent();
  /** Reason names: migrate_reason_names[] followed by registered ones. */
  protected readonly reasons: string[] = [...MIGRATE_REASON_NAMES];
  /** pid -> comm of every task that emitted (ftrace's saved_cmdlines). */
  private readonly comms = new Map<number, string>();
  puts = 0;
  gets = 0;
  failures = 0;
  events = 0;
  stacks = 0;

  constructor(options: TracerCommonOptions) {
    this.tasks = options.tasks;
    this.clock = options.clock;
    this.pages = options.pages;
    this.depot = options.depot;
    this.sink = options.sink;
    this.failSink = options.failSink ?? null;
  }

  get reasonNames(): readonly string[] {
    return this.reasons;
  }

  /**
   * Add a reason for callers that arm pages outside migration (the review's HWPoison / "should be
   * refcount 0" uses). Returns its number; registering a known name returns the existing one.
   */
  registerReason(name: string): number {
    if (typeof name !== "string" || name === "" || /\s/.test(name)) throw new MmError("EINVAL", `bad reason name ${JSON.stringify(name)}`);
    const i = this.reasons.indexOf(name);
    if (i >= 0) return i;
    this.reasons.push(name);
    return this.reasons.length - 1;
  }

  /** comm of a pid that emitted an event; "<...>" as ftrace prints an unknown one. */
  comm(pid: number): string {
    return this.comms.get(pid) ?? "<...>";
  }

  /** Fill the scratch event for `pfn` (count as given: the caller read it after the change) and emit. */
  protected emitPage(kind: EventKind, pfn: number, count: number, reason: number, err: number): void {
    const ev = this.ev;
    const pages = this.pages;
    ev.kind = kind;
    ev.pfn = pfn;
    ev.flags = pages.pageFlags(pfn);
    ev.count = count;
    ev.mapcount = pages.pageMapcount(pfn);
    ev.mapping = pages.pageMapping(pfn);
    ev.mt = pages.pageblockMigratetype(pfn);
    ev.zone = pages.pageZone(pfn);
    ev.reason = reason;
    ev.err = err;
    const task = this.tasks.current();
    const pid = task.pid;
    ev.pid = pid;
    if (this.comms.get(pid) !== task.comm) this.comms.set(pid, task.comm);
    const sink = kind === EV_FAIL && this.failSink !== null ? this.failSink : this.sink;
    // The sink wants a stack per event (options/stacktrace of its instance).
    if (sink.stacktrace) {
      const depth = task.depth;
      ev.nrFrames = depth;
      if ((task.flags & TASK_IN_TRACE_UNREF) !== 0) {
        ev.handle = 0; // re-entered from the depot's own page allocation: no stack, no recursion
      } else {
        task.flags |= TASK_IN_TRACE_UNREF;
        try {
          ev.handle = this.depot.save(task.stack, depth, STACK_GFP) >>> 0;
        } finally {
          task.flags &= ~TASK_IN_TRACE_UNREF;
        }
        this.stacks++;
      }
    } else {
      ev.handle = 0;
      ev.nrFrames = 0;
    }
    ev.ts = this.clock.now();
    this.events++;
    sink.emit(ev);
  }
}
