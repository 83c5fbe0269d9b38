/**
 * `perf script` output of kmem tracepoints recorded with callchains (`perf record -e 'kmem:*' -g`):
 *   `  comm  pid[/tid] [cpu] secs.usecs: [period] kmem:mm_page_alloc: fields`
 *   `\t    ffffffff81234567 __alloc_pages+0x1ce ([kernel.kallsyms])`   one per frame
 *   ``                                                                 a blank line ends the sample
 */
import { TextTraceParser, tsToNs, type TextParserOptions, type TraceSink } from "./text-parser.js";

const SAMPLE = /^\s*(.*?)\s+(\d+)(?:\/(\d+))?\s+\[(\d+)\]\s+(\d+)(?:\.(\d+))?:\s+(?:\d+\s+)?([\w-]+:[\w-]+):\s*(.*)$/;
const FRAME = /^\s+([0-9a-fA-F]+)\s+(.*?)(?:\s+\(([^()]*)\))?$/;

export class PerfScriptParser extends TextTraceParser {
  private cpu = -1;

  constructor(sink: TraceSink, opts: TextParserOptions = {}) {
    super("perf", sink, opts);
  }

  pushLine(raw: string): void {
    this.lineNo++;
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.trim().length === 0) {
      if (this.cpu >= 0) this.completeAllCpu(this.cpu);
      this.cpu = -1;
      return;
    }
    if (this.cpu >= 0 && (line.charCodeAt(0) === 9 || line.charCodeAt(0) === 32)) {
      const f = FRAME.exec(line);
      if (f !== null) {
        const ev = this.pendingEvent(this.cpu);
        if (ev !== null) this.addFrame(ev, f[2]);
        return;
      }
    }
    const m = SAMPLE.exec(line);
    if (m === null) {
      if (line.startsWith("#")) return;
      this.stats.otherLines++;
      return;
    }
    if (this.cpu >= 0) this.completeAllCpu(this.cpu);
    const cpu = Number(m[4]);
    const pid = Number(m[3] ?? m[2]);
    this.cpu = this.beginEvent(m[7], m[8], cpu, pid, m[1].trim(), tsToNs(m[5], m[6])) ? cpu : -1;
  }
}
