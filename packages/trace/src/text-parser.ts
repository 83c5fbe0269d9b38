/**
 * What the two text formats share: events are built line by line, a stack that follows an event
 * belongs to it, and events leave in input order once complete. In ftrace's merged per-CPU output
 * another CPU's entry may sit between an event and its `<stack trace>` entry, so completion is
 * tracked per CPU. On one CPU an interrupt can trace its own events (and their stacks) between an
 * event's reservation and its stack (seen in the 6.1 fixture: a softirq's mm_page_free inside an
 * mm_page_free_batched), so a stack belongs to the newest event of that CPU still waiting for one:
 * a per-CPU LIFO as deep as the kernel's contexts nest (task, softirq, irq, NMI). perf script ends
 * each sample with a blank line.
 */
import { type GfpEra, MmError } from "@mm/api";
import { EV_ALLOC, eventKind, newTraceEvent, newTraceStats, type TraceEvent, type TraceFormat, type TraceStats } from "./event.js";
import { parseKmemFields } from "./fields.js";
import { GfpParser } from "./gfp-parse.js";

export type TraceSink = (ev: TraceEvent) => void;

export interface TextParserOptions {
  /** Which `%pGg` table names gfp_flags (6.1 bit values, or today's). @defaultValue "6.1" */
  readonly gfpEra?: GfpEra;
  /** Throw PARSE_ERROR on a malformed kmem event instead of counting it. @defaultValue false */
  readonly strict?: boolean;
}

/** Frames the tracer itself adds at the top of an event's stack (the tracepoint's own probe). */
function isTracingFrame(f: string): boolean {
  return f.startsWith("trace_event_raw_event_") || f.startsWith("perf_trace_") || f.startsWith("__traceiter_") || f.startsWith("__bpf_trace_");
}

export abstract class TextTraceParser {
  readonly stats: TraceStats;
  protected readonly gfp: GfpParser;
  protected readonly strict: boolean;
  protected lineNo = 0;
  /** Events waiting for their stack, in input order. */
  private readonly queue: TraceEvent[] = [];
  private queueHead = 0;
  private readonly complete: boolean[] = [];
  private readonly pool: TraceEvent[] = [];
  /** Queue positions (absolute) of each CPU's events that may still get a stack, oldest first. */
  private readonly pendingByCpu: number[][] = [];
  private base = 0;

  constructor(
    format: TraceFormat,
    private readonly sink: TraceSink,
    opts: TextParserOptions = {},
  ) {
    this.stats = newTraceStats(format);
    this.gfp = new GfpParser(opts.gfpEra ?? "6.1");
    this.strict = opts.strict ?? false;
  }

  /** Feed one line (without its newline; a trailing CR is dropped). */
  abstract pushLine(line: string): void;

  /** End of input: every pending event is complete. */
  end(): TraceStats {
    for (let i = this.queueHead; i < this.queue.length; i++) this.complete[i] = true;
    for (const l of this.pendingByCpu) l.length = 0;
    this.flush();
    this.stats.unknownGfpNames = this.gfp.unknownNames;
    return this.stats;
  }

  /** Parse `name: fields` into a queued event on `cpu`; returns false for other tracepoints. */
  protected beginEvent(name: string, fields: string, cpu: number, pid: number, comm: string, tsNs: number): boolean {
    const kind = eventKind(name);
    if (kind < 0) {
      this.stats.otherEvents++;
      // That event's stack would follow it: keep it from landing on one of ours.
      this.pushPending(cpu, -1);
      return false;
    }
    const ev = this.pool.pop() ?? newTraceEvent();
    ev.kind = kind;
    ev.line = this.lineNo;
    ev.cpu = cpu;
    ev.pid = pid;
    ev.comm = comm;
    ev.tsNs = tsNs;
    ev.stack.length = 0;
    ev.allocOrder = 0;
    ev.fallbackOrder = 0;
    ev.allocMigratetype = -1;
    ev.fallbackMigratetype = -1;
    ev.fragmenting = false;
    ev.changeOwnership = false;
    if (!parseKmemFields(fields, ev, this.gfp)) {
      this.pool.push(ev);
      if (this.strict) throw new MmError("PARSE_ERROR", `line ${this.lineNo}: malformed ${name} event: ${fields}`, { line: this.lineNo });
      this.stats.otherLines++;
      this.pushPending(cpu, -1);
      return false;
    }
    this.stats.events[kind] = (this.stats.events[kind] ?? 0) + 1;
    if (kind === EV_ALLOC && ev.pfn < 0) this.stats.failedAllocs++;
    if (cpu + 1 > this.stats.cpus) this.stats.cpus = cpu + 1;
    const pos = this.base + this.queue.length;
    this.queue.push(ev);
    this.complete.push(false);
    this.pushPending(cpu, pos);
    return true;
  }

  /** Contexts that nest on one CPU: task, softirq, hardirq, NMI. */
  private static readonly NEST = 4;

  private pushPending(cpu: number, pos: number): void {
    while (this.pendingByCpu.length <= cpu) this.pendingByCpu.push([]);
    const l = this.pendingByCpu[cpu];
    l.push(pos);
    if (l.length > TextTraceParser.NEST) {
      const old = l.shift()!;
      if (old >= 0) {
        this.complete[old - this.base] = true;
        this.flush();
      }
    }
  }

  /** The event on `cpu` that a following stack belongs to (the newest waiting one), or null. */
  protected pendingEvent(cpu: number): TraceEvent | null {
    const l = this.pendingByCpu[cpu];
    const pos = l === undefined || l.length === 0 ? -1 : l[l.length - 1];
    if (pos < 0) return null;
    return this.queue[pos - this.base] ?? null;
  }

  protected addFrame(ev: TraceEvent, frame: string): void {
    if (ev.stack.length === 0 && isTracingFrame(frame)) return;
    ev.stack.push(frame);
  }

  /** The newest waiting event on cpu has its stack (or will get none). */
  protected completeCpu(cpu: number): void {
    const l = this.pendingByCpu[cpu];
    if (l === undefined || l.length === 0) return;
    const pos = l.pop()!;
    if (pos < 0) return;
    this.complete[pos - this.base] = true;
    this.flush();
  }

  /** Every waiting event on cpu is complete (perf script: a sample ended). */
  protected completeAllCpu(cpu: number): void {
    const l = this.pendingByCpu[cpu];
    if (l === undefined) return;
    for (const pos of l) if (pos >= 0) this.complete[pos - this.base] = true;
    l.length = 0;
    this.flush();
  }

  private flush(): void {
    const q = this.queue;
    while (this.queueHead < q.length && this.complete[this.queueHead] === true) {
      const ev = q[this.queueHead];
      this.sink(ev);
      this.pool.push(ev);
      this.queueHead++;
    }
    if (this.queueHead > 1024 && this.queueHead * 2 > q.length) {
      q.splice(0, this.queueHead);
      this.complete.splice(0, this.queueHead);
      this.base += this.queueHead;
      this.queueHead = 0;
    }
  }
}

/** seconds.fraction (any number of fraction digits) to nanoseconds. */
export function tsToNs(sec: string, frac: string | undefined): number {
  let ns = Number(sec) * 1e9;
  if (frac !== undefined && frac.length > 0) ns += Number((frac + "000000000").slice(0, 9));
  return ns;
}
