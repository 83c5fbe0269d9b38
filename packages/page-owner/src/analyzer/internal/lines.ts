// Lines out of chunks for the line-oriented debugfs/procfs formats (page_owner_stacks/*,
// /proc/allocinfo). Bytes are decoded as latin1 (one char per byte) so that any byte a %pS symbol
// or a file name may hold survives a parse and a re-print unchanged.

/** Called per line: its text without "\n" (and without a trailing "\r"), its 1-based number. */
export type LineHandler = (line: string, lineNo: number, tooLong: boolean) => void;

/**
 * Push splitter: {@link push} chunks, then {@link end}. Memory is one line at most: a line past
 * `maxLine` bytes is cut there and the rest dropped (`tooLong` set), so input without newlines
 * cannot grow it.
 */
export class LineSplitter {
  private partial = "";
  private skipping = false;
  private lineNo = 0;

  constructor(
    private readonly onLine: LineHandler,
    private readonly maxLine: number,
  ) {}

  push(chunk: Uint8Array | string): void {
    let s = typeof chunk === "string" ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString("latin1");
    let p = 0;
    if (this.skipping) {
      const nl = s.indexOf("\n");
      if (nl === -1) return;
      this.skipping = false;
      p = nl + 1;
    }
    if (this.partial.length !== 0) {
      s = this.partial + s.slice(p);
      p = 0;
      this.partial = "";
    }
    for (;;) {
      const nl = s.indexOf("\n", p);
      if (nl === -1) break;
      this.emit(s.slice(p, nl));
      p = nl + 1;
    }
    const rest = s.length - p;
    if (rest > this.maxLine) {
      this.lineNo++;
      this.onLine(s.slice(p, p + this.maxLine), this.lineNo, true);
      this.skipping = true;
    } else if (rest > 0) {
      this.partial = s.slice(p);
    }
  }

  /** Flushes a last line without its newline. */
  end(): void {
    if (this.partial.length !== 0) {
      const last = this.partial;
      this.partial = "";
      this.emit(last);
    }
    this.skipping = false;
  }

  private emit(l: string): void {
    this.lineNo++;
    if (l.length > this.maxLine) {
      this.onLine(l.slice(0, this.maxLine), this.lineNo, true);
      return;
    }
    // CRLF (a capture copied through Windows): the kernel never prints "\r".
    this.onLine(l.length !== 0 && l.charCodeAt(l.length - 1) === 13 ? l.slice(0, -1) : l, this.lineNo, false);
  }
}

/** Default line limit: the kernel prints lines far shorter (KSYM_NAME_LEN 512 + offsets). */
export const MAX_LINE_DEFAULT = 65536;
