/**
 * An ftrace-like per-CPU ring buffer: fixed-size pages of BUF_PAGE_SIZE data bytes, events packed
 * with their 4-byte headers (and 8-byte time extends), a page-end padding when the next event does
 * not fit, and in overwrite mode the oldest page dropped when the writer wraps onto it, its entries
 * counted as overrun. With options/stacktrace every event is followed by a TRACE_STACK entry.
 * Kernel: kernel/trace/ring_buffer.c (rb_calculate_event_length, rb_move_tail,
 * rb_handle_head_page), kernel/trace/trace.c (__ftrace_trace_stack, print_event_info,
 * print_func_help_header_irq), kernel/trace/trace_output.c (trace_print_context, trace_stack_print).
 *
 * Model simplifications: this is one CPU's buffer (`percpuFtrace` puts one per CPU); no separate
 * reader page (the ring keeps all nr_pages for data); a time extend is charged when the delta to
 * the previous event on the same page exceeds 27 bits (the first event of a page takes its time
 * from the page header). `consume` is a draining reader (trace_pipe / trace-cmd record): it takes
 * every resident entry at once, where the kernel's reader swaps out one page at a time.
 */
import { MmError } from "@mm/api";
import type { EventList, EventSink, RenderContext, SinkStats, TraceEvent } from "./api.js";
import {
  BUF_PAGE_SIZE,
  EVENT_NAMES,
  EVENT_PAYLOAD_BYTES,
  formatEventBody,
  formatSecUsec,
  RB_LEN_TIME_EXTEND,
  rbEventLength,
  stackEventPayload,
  symbolName,
  TRACE_BUF_SIZE_DEFAULT,
  TS_DELTA_MAX,
} from "./events.js";
import { EventStore, KIND_STACK, toEventList } from "./internal/store.js";

export interface FtraceRingOptions {
  /** buffer_size_kb of the CPU's buffer. @defaultValue 1408 (TRACE_BUF_SIZE_DEFAULT) */
  readonly bufferSizeKb?: number;
  /** options/overwrite: drop the oldest page (true) or the new event (false). @defaultValue true */
  readonly overwrite?: boolean;
  /** options/stacktrace: a kernel stack entry after every event. @defaultValue true */
  readonly stacktrace?: boolean;
  /** The CPU printed in `[%03d]`. @defaultValue 0 */
  readonly cpu?: number;
  /** num_online_cpus() printed as `#P:` in the header. @defaultValue 1 */
  readonly nrCpus?: number;
}

/** Smallest ring entry: a stack entry with no frames (16-byte payload + 4-byte header). */
const MIN_ENTRY_BYTES = rbEventLength(stackEventPayload(0));

class FtraceRing implements EventSink {
  readonly name: string;
  readonly pageExtPayloadBytes = 0;
  readonly stacktrace: boolean;
  readonly nrPages: number;
  private readonly overwrite: boolean;
  private readonly cpu: number;
  private readonly nrCpus: number;
  /** Data bytes used on each ring page. */
  private readonly pageUsed: Int32Array;
  /** Entries on each ring page (0 = the page holds nothing). */
  private readonly pageEntries: Int32Array;
  /** The page being written. */
  private tail = 0;
  /** Timestamp of the last entry written (for time-extend accounting). */
  private lastTs = 0;
  private readonly store: EventStore;
  private offered = 0;
  private unsupported = 0;
  private written = 0;
  private bytesWritten = 0;
  private overrun = 0;
  private dropped = 0;
  private lostEvents = 0;
  /** Entries taken out by a draining reader (`consume`). */
  private consumed = 0;

  constructor(options: FtraceRingOptions) {
    const kb = options.bufferSizeKb ?? TRACE_BUF_SIZE_DEFAULT / 1024;
    if (!Number.isInteger(kb) || kb < 1) throw new MmError("BAD_CONFIG", `bufferSizeKb must be a positive integer, got ${kb}`);
    // ring_buffer_resize(): nr_pages = DIV_ROUND_UP(size, BUF_PAGE_SIZE), at least 2.
    this.nrPages = Math.max(2, Math.ceil((kb * 1024) / BUF_PAGE_SIZE));
    this.overwrite = options.overwrite ?? true;
    this.stacktrace = options.stacktrace ?? true;
    this.cpu = options.cpu ?? 0;
    this.nrCpus = options.nrCpus ?? 1;
    this.name = `ftrace ring ${kb} KB${this.stacktrace ? " +stacktrace" : ""}`;
    this.pageUsed = new Int32Array(this.nrPages);
    this.pageEntries = new Int32Array(this.nrPages);
    const maxEntries = this.nrPages * Math.floor(BUF_PAGE_SIZE / MIN_ENTRY_BYTES);
    this.store = new EventStore(1024, maxEntries);
  }

  emit(ev: TraceEvent): void {
    this.offered++;
    const payload = EVENT_PAYLOAD_BYTES[ev.kind];
    if (payload === 0) {
      this.unsupported++;
      return;
    }
    if (!this.reserve(rbEventLength(payload), ev, ev.kind)) return;
    if (this.stacktrace) this.reserve(rbEventLength(stackEventPayload(ev.nrFrames)), ev, KIND_STACK);
  }

  /** ring_buffer_lock_reserve + commit of one entry of `len` bytes; false when dropped. */
  private reserve(len: number, ev: TraceEvent, kind: number): boolean {
    let tail = this.tail;
    let need = len;
    if (this.pageEntries[tail] > 0 && ev.ts - this.lastTs > TS_DELTA_MAX) need += RB_LEN_TIME_EXTEND;
    if (this.pageUsed[tail] + need > BUF_PAGE_SIZE) {
      // rb_move_tail(): pad the rest of this page, go to the next one.
      const next = tail + 1 === this.nrPages ? 0 : tail + 1;
      const victims = this.pageEntries[next];
      if (victims > 0) {
        if (!this.overwrite) {
          this.dropped++;
          if (kind !== KIND_STACK) this.lostEvents++;
          return false;
        }
        // rb_handle_head_page(): the head page's entries are lost (overrun).
        this.overrun += victims;
        const st = this.store;
        for (let i = 0; i < victims; i++) if (st.kind[st.slot(i)] !== KIND_STACK) this.lostEvents++;
        st.dropFront(victims);
        this.pageEntries[next] = 0;
      }
      this.bytesWritten += BUF_PAGE_SIZE - this.pageUsed[tail];
      this.pageUsed[next] = 0;
      this.tail = tail = next;
      need = len;
    }
    this.pageUsed[tail] += need;
    this.pageEntries[tail]++;
    this.bytesWritten += need;
    this.written++;
    this.lastTs = ev.ts;
    this.store.push(ev, kind);
    return true;
  }

  stats(): SinkStats {
    return {
      offered: this.offered,
      unsupported: this.unsupported,
      written: this.written,
      bytesWritten: this.bytesWritten,
      lost: this.overrun + this.dropped,
      lostEvents: this.lostEvents,
      resident: this.store.length,
      capacityBytes: this.nrPages * BUF_PAGE_SIZE,
    };
  }

  /** Events lost to overwrite (the per_cpu stats `overrun`) and dropped when full (non-overwrite). */
  get overrunEntries(): number {
    return this.overrun;
  }

  snapshot(): EventList {
    const st = this.store;
    const slots: number[] = [];
    const handles: number[] = [];
    for (let i = 0; i < st.length; i++) {
      const s = st.slot(i);
      if (st.kind[s] === KIND_STACK) continue; // orphaned (its event was overwritten) or already used
      slots.push(s);
      let h = 0;
      if (i + 1 < st.length) {
        const n = st.slot(i + 1);
        if (st.kind[n] === KIND_STACK) h = st.handle[n];
      }
      handles.push(h);
    }
    return toEventList(st, slots, handles);
  }

  /** Timestamp (ns) of the oldest resident entry, -1 when the ring is empty. */
  oldestTs(): number {
    const st = this.store;
    return st.length === 0 ? -1 : st.ts[st.slot(0)];
  }

  /**
   * A draining reader (trace_pipe, trace-cmd record): hand over every resident event, oldest first,
   * and empty the ring. Counters of what was written and lost are kept.
   */
  consume(): EventList {
    const list = this.snapshot();
    this.consumed += this.store.length;
    this.store.clear();
    this.pageUsed.fill(0);
    this.pageEntries.fill(0);
    this.tail = 0;
    return list;
  }

  /** Entries a draining reader has taken so far. */
  get consumedEntries(): number {
    return this.consumed;
  }

  /** The tracefs `trace` file: header, then one line per event and a block per stack. */
  render(ctx: RenderContext): string {
    const st = this.store;
    const lines = this.renderLines(ctx);
    return traceHeader(st.length, st.length + this.overrun, this.nrCpus) + lines.text.join("");
  }

  /** Every resident entry's text (an event line or a stack block) with its timestamp, oldest first. */
  renderLines(ctx: RenderContext): { readonly ts: number[]; readonly text: string[] } {
    const st = this.store;
    const ts: number[] = [];
    const parts: string[] = [];
    const cpu = String(this.cpu).padStart(3, "0");
    const list = this.snapshotAll();
    for (let i = 0; i < st.length; i++) {
      const s = st.slot(i);
      const pid = st.pid[s];
      // trace_print_context(): "%16s-%-7d [%03d] " + lat fmt + " %5lu.%06lu: "
      const context = `${ctx.comm(pid).padStart(16, " ")}-${String(pid).padEnd(7, " ")} [${cpu}] ..... ${formatSecUsec(st.ts[s])}: `;
      if (st.kind[s] === KIND_STACK) {
        let text = `${context}<stack trace>\n`;
        const frames = ctx.fetchStack(st.handle[s]);
        for (let f = 0; f < frames.length; f++) text += ` => ${symbolName(ctx.symbols.symbolize(frames[f]))}\n`;
        parts.push(text);
      } else {
        parts.push(`${context}${EVENT_NAMES[st.kind[s]]}: ${formatEventBody(list, i, ctx.reasonNames)}\n`);
      }
      ts.push(st.ts[s]);
    }
    return { ts, text: parts };
  }

  /** Every resident entry (stacks included) as an EventList, for rendering by index. */
  private snapshotAll(): EventList {
    const slots: number[] = [];
    for (let i = 0; i < this.store.length; i++) slots.push(this.store.slot(i));
    return toEventList(this.store, slots);
  }

  reset(): void {
    this.store.clear();
    this.pageUsed.fill(0);
    this.pageEntries.fill(0);
    this.tail = 0;
    this.lastTs = 0;
    this.offered = this.unsupported = this.written = this.bytesWritten = this.overrun = this.dropped = this.lostEvents = this.consumed = 0;
  }

  checkInvariants(): void {
    let entries = 0;
    for (let p = 0; p < this.nrPages; p++) {
      if (this.pageUsed[p] < 0 || this.pageUsed[p] > BUF_PAGE_SIZE) throw new MmError("INVARIANT", `ring page ${p} uses ${this.pageUsed[p]} bytes`);
      if (this.pageEntries[p] > 0 && this.pageUsed[p] === 0) throw new MmError("INVARIANT", `ring page ${p} has entries but no bytes`);
      entries += this.pageEntries[p];
    }
    if (entries !== this.store.length) throw new MmError("INVARIANT", `pages hold ${entries} entries, store ${this.store.length}`);
    if (this.written !== this.store.length + this.overrun + this.consumed)
      throw new MmError("INVARIANT", `written ${this.written} != resident ${this.store.length} + overrun ${this.overrun} + consumed ${this.consumed}`);
    // Pages holding entries form one run ending at the tail (newest); the rest are empty.
    let k = 0;
    while (k < this.nrPages && this.pageEntries[(this.tail - k + this.nrPages) % this.nrPages] > 0) k++;
    for (let j = k; j < this.nrPages; j++) {
      if (this.pageEntries[(this.tail - j + this.nrPages) % this.nrPages] !== 0) throw new MmError("INVARIANT", "ring pages with entries are not contiguous");
    }
  }
}

/** print_event_info + print_func_help_header_irq: the `trace` file's header (nop tracer). */
export function traceHeader(resident: number, written: number, nrCpus: number): string {
  return [
    "# tracer: nop\n#\n",
    `# entries-in-buffer/entries-written: ${resident}/${written}   #P:${nrCpus}\n#\n`,
    "#                                _-----=> irqs-off/BH-disabled\n",
    "#                               / _----=> need-resched\n",
    "#                              | / _---=> hardirq/softirq\n",
    "#                              || / _--=> preempt-depth\n",
    "#                              ||| / _-=> migrate-disable\n",
    "#                              |||| /     delay\n",
    "#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n",
    "#              | |         |   |||||     |         |\n",
  ].join("");
}

/** One CPU's ftrace ring as `ftraceRing` returns it: an EventSink plus the ring's own reads. */
export interface FtraceCpuRing extends EventSink {
  readonly nrPages: number;
  readonly overrunEntries: number;
  readonly consumedEntries: number;
  oldestTs(): number;
  consume(): EventList;
  renderLines(ctx: RenderContext): { readonly ts: number[]; readonly text: string[] };
}

/** A per-CPU ftrace ring of `bufferSizeKb` that overwrites its oldest page and counts what it lost. */
export function ftraceRing(options: FtraceRingOptions = {}): FtraceCpuRing {
  return new FtraceRing(options);
}
