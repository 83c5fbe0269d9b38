/**
 * /sys/kernel/tracing/trace as the kernel prints it (kernel/trace/trace_output.c): a `#` header
 * with `entries-in-buffer/entries-written: A/B   #P:n`, then one line per entry:
 *   `  comm-pid  [cpu] flags  secs.usecs: event: fields`  (the tgid column and flags are optional)
 * and, with `options/stacktrace`, a `<stack trace>` entry whose frames follow as ` => sym` lines.
 * `CPU:n [LOST m EVENTS]` marks a ring buffer that dropped events.
 */
import { TextTraceParser, tsToNs, type TextParserOptions, type TraceSink } from "./text-parser.js";

const ENTRY = /^\s*(.*)-(\d+)\s+(?:\(\s*[\d-]+\)\s+)?\[(\d+)\]\s+(?:\S{4,5}\s+)?(\d+)(?:\.(\d+))?:\s+(.*)$/;
const HEADER_ENTRIES = /^#\s*entries-in-buffer\/entries-written:\s*(\d+)\/(\d+)\s+#P:(\d+)/;
const LOST = /^CPU:(\d+) \[LOST (\d+) EVENTS\]/;

export class FtraceTextParser extends TextTraceParser {
  /** CPU of the last `<stack trace>` entry whose frames are being read, or -1; -2 for a user stack. */
  private stackCpu = -1;

  constructor(sink: TraceSink, opts: TextParserOptions = {}) {
    super("ftrace", sink, opts);
  }

  pushLine(raw: string): void {
    this.lineNo++;
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.startsWith(" => ")) {
      if (this.stackCpu >= 0) {
        const ev = this.pendingEvent(this.stackCpu);
        if (ev !== null) this.addFrame(ev, line.slice(4));
      }
      return;
    }
    if (this.stackCpu >= 0) {
      this.completeCpu(this.stackCpu);
    }
    this.stackCpu = -1;
    if (line.length === 0) return;
    if (line.charCodeAt(0) === 35 /* # */) {
      const h = HEADER_ENTRIES.exec(line);
      if (h !== null) {
        this.stats.entriesInBuffer = Number(h[1]);
        this.stats.entriesWritten = Number(h[2]);
        this.stats.cpus = Math.max(this.stats.cpus, Number(h[3]));
        // The ring buffer overwrote what was written but is no longer in it.
        if (this.stats.entriesWritten > this.stats.entriesInBuffer) this.stats.lostEvents += this.stats.entriesWritten - this.stats.entriesInBuffer;
      }
      return;
    }
    const lost = LOST.exec(line);
    if (lost !== null) {
      this.stats.lostMarkers++;
      this.stats.lostEvents += Number(lost[2]);
      return;
    }
    const m = ENTRY.exec(line);
    if (m === null) {
      this.stats.otherLines++;
      return;
    }
    const cpu = Number(m[3]);
    const rest = m[6];
    if (rest.startsWith("<stack trace>")) {
      this.stackCpu = cpu;
      return;
    }
    if (rest.startsWith("<user stack trace>")) {
      // Follows the kernel stack of the same event, which already has it; its frames are not kept.
      this.stackCpu = -2;
      return;
    }
    const colon = rest.indexOf(": ");
    const name = colon < 0 ? rest.replace(/:$/, "") : rest.slice(0, colon);
    const fields = colon < 0 ? "" : rest.slice(colon + 2);
    this.beginEvent(name, fields, cpu, Number(m[2]), m[1].trim(), tsToNs(m[4], m[5]));
  }
}
