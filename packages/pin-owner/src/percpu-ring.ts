/**
 * The ftrace buffer as the kernel has it: one ring per CPU (kernel/trace/ring_buffer.c allocates a
 * `ring_buffer_per_cpu` for each possible CPU, each of buffer_size_kb), an event written to the
 * ring of the CPU it happened on. A busy CPU overwrites its own history while a quiet one keeps
 * days of it, so what survives is per CPU: the oldest event at read time differs by CPU, and the
 * `trace` file merges the rings by timestamp.
 */
import { MmError } from "@mm/api";
import type { EventList, EventSink, RenderContext, SinkStats, TraceEvent } from "./api.js";
import { TRACE_BUF_SIZE_DEFAULT } from "./events.js";
import { type FtraceCpuRing, ftraceRing, traceHeader } from "./ftrace-ring.js";
import { concatEventLists } from "./internal/store.js";

export interface PercpuFtraceOptions {
  /** CPUs, one ring each. @defaultValue 8 (a phone SoC: 4 little + 4 big cores) */
  readonly nrCpus?: number;
  /** buffer_size_kb, per CPU as tracefs reports it. @defaultValue 1408 (TRACE_BUF_SIZE_DEFAULT) */
  readonly bufferSizeKb?: number;
  /** options/overwrite. @defaultValue true */
  readonly overwrite?: boolean;
  /** options/stacktrace. @defaultValue true */
  readonly stacktrace?: boolean;
  /**
   * smp_processor_id() of the event being written. @defaultValue the event's pid modulo nrCpus (a
   * task pinned to a CPU)
   */
  readonly cpuOf?: (ev: TraceEvent) => number;
  /** The instance name in the sink's label (tracefs instances/<name>). @defaultValue "" (top level) */
  readonly instance?: string;
}

/** Per-CPU reads of the buffer. */
export interface PercpuFtrace extends EventSink {
  readonly nrCpus: number;
  readonly rings: readonly FtraceCpuRing[];
  /** Oldest resident timestamp of each CPU's ring (-1 for an empty ring). */
  oldestTsPerCpu(): number[];
  /** Drain every CPU's ring (trace-cmd record), merged by timestamp. */
  consume(): EventList;
  /** Entries taken by draining readers so far, all CPUs. */
  readonly consumedEntries: number;
}

class PercpuRing implements PercpuFtrace {
  readonly name: string;
  readonly pageExtPayloadBytes = 0;
  readonly stacktrace: boolean;
  readonly nrCpus: number;
  readonly rings: FtraceCpuRing[];
  private readonly cpuOf: (ev: TraceEvent) => number;

  constructor(options: PercpuFtraceOptions) {
    const n = options.nrCpus ?? 8;
    if (!Number.isInteger(n) || n < 1 || n > 4096) throw new MmError("BAD_CONFIG", `nrCpus must be an integer in 1..4096, got ${n}`);
    this.nrCpus = n;
    this.rings = [];
    for (let c = 0; c < n; c++) {
      this.rings.push(
        ftraceRing({
          bufferSizeKb: options.bufferSizeKb ?? TRACE_BUF_SIZE_DEFAULT / 1024,
          overwrite: options.overwrite ?? true,
          stacktrace: options.stacktrace ?? true,
          cpu: c,
          nrCpus: n,
        }),
      );
    }
    this.stacktrace = this.rings[0].stacktrace;
    this.cpuOf = options.cpuOf ?? ((ev) => ev.pid % n);
    const inst = options.instance ?? "";
    this.name = `${inst === "" ? "" : `instance ${inst}: `}${n} x ${this.rings[0].name}`;
  }

  emit(ev: TraceEvent): void {
    const c = this.cpuOf(ev);
    if (!Number.isInteger(c) || c < 0 || c >= this.nrCpus) throw new MmError("INVARIANT", `event on cpu ${c} of ${this.nrCpus}`);
    this.rings[c].emit(ev);
  }

  stats(): SinkStats {
    let offered = 0;
    let unsupported = 0;
    let written = 0;
    let bytesWritten = 0;
    let lost = 0;
    let lostEvents = 0;
    let resident = 0;
    let capacityBytes = 0;
    for (const r of this.rings) {
      const s = r.stats();
      offered += s.offered;
      unsupported += s.unsupported;
      written += s.written;
      bytesWritten += s.bytesWritten;
      lost += s.lost;
      lostEvents += s.lostEvents;
      resident += s.resident;
      capacityBytes += s.capacityBytes;
    }
    return { offered, unsupported, written, bytesWritten, lost, lostEvents, resident, capacityBytes };
  }

  get consumedEntries(): number {
    let n = 0;
    for (const r of this.rings) n += r.consumedEntries;
    return n;
  }

  oldestTsPerCpu(): number[] {
    return this.rings.map((r) => r.oldestTs());
  }

  snapshot(): EventList {
    return concatEventLists(this.rings.map((r) => r.snapshot()));
  }

  consume(): EventList {
    return concatEventLists(this.rings.map((r) => r.consume()));
  }

  render(ctx: RenderContext): string {
    const per = this.rings.map((r) => r.renderLines(ctx));
    // A k-way merge by timestamp; ties keep CPU order, as ftrace's iterator picks the lowest CPU.
    const idx = new Array<number>(per.length).fill(0);
    const out: string[] = [];
    for (;;) {
      let best = -1;
      for (let c = 0; c < per.length; c++) {
        if (idx[c] < per[c].ts.length && (best < 0 || per[c].ts[idx[c]] < per[best].ts[idx[best]])) best = c;
      }
      if (best < 0) break;
      out.push(per[best].text[idx[best]++]);
    }
    let resident = 0;
    let written = 0;
    for (const r of this.rings) {
      const s = r.stats();
      resident += s.resident;
      written += s.resident + r.overrunEntries;
    }
    return traceHeader(resident, written, this.nrCpus) + out.join("");
  }

  reset(): void {
    for (const r of this.rings) r.reset();
  }

  checkInvariants(): void {
    for (const r of this.rings) r.checkInvariants();
  }
}

/** One ftrace ring per CPU, each of `bufferSizeKb`. */
export function percpuFtrace(options: PercpuFtraceOptions = {}): PercpuFtrace {
  return new PercpuRing(options);
}
