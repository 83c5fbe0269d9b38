// page_owner_sort's read_block(), as a push parser over latin1 chunks.
//
//   while (buf_end - curr > 1 && fgets(curr, buf_end - curr, fin)) {
//       if (*curr == '\n') return curr - buf;          // blank line: block done
//       if (!strncmp(curr, "PFN", 3)) { strcpy(ext_buf, curr); continue; }
//       curr += strlen(curr);
//   }
//   return -1;                                         // EOF or buffer full: main() stops reading
//
// Consequences reproduced here: lines starting with "PFN" never enter the block text; the last
// PFN line seen is kept across blocks (a block without one inherits the previous block's);
// a block that does not fit in BUF_SIZE ends all reading; a final block without its blank line
// is dropped; `\r\n` blank lines are not blank; a NUL byte cuts its line there and joins what
// follows to the next line (fgets stores it, strlen stops at it).

/** BUF_SIZE of page_owner_sort.c: 128 KiB per block. */
export const BUF_SIZE = 128 * 1024;

/**
 * Called with each block's text (PFN lines removed, no trailing blank line) and the current
 * ext_buf (the last PFN line read, with its newline, or ""), and false when the block certainly
 * has no "__vmalloc_node_range" (true: maybe). Return false to stop reading, as add_list()
 * failing does.
 */
export type BlockSink = (content: string, ext: string, mayHaveVmalloc: boolean) => boolean;

/** What get_allocator() looks for in each block; searched once per chunk here instead. */
const VMALLOC = "__vmalloc_node_range";

/** Start of the first line after s[from..] that begins with "PFN" (-1: none). */
function nextPfn(s: string, from: number): number {
  const i = s.indexOf("\nPFN", from);
  return i === -1 ? -1 : i + 1;
}

/** Feeds bytes in, calls the sink once per block. */
export class CompatBlockReader {
  /** Unconsumed input: the start of a line whose end has not arrived yet. */
  private pending = "";
  /** Block text gathered from earlier chunks / before a removed PFN line. */
  private block = "";
  /** curr - buf: bytes of the block buffer in use. */
  private used = 0;
  /** ext_buf: persists across blocks, as in C. */
  private ext = "";
  private stopped = false;

  constructor(private readonly sink: BlockSink) {}

  /** True once reading has ended (buffer overflow or the sink said stop). */
  get done(): boolean {
    return this.stopped;
  }

  /** Feeds one chunk (a latin1 string: one char per byte). Returns false once reading stopped. */
  push(chunk: string): boolean {
    if (this.stopped) return false;
    const s = this.pending.length === 0 ? chunk : this.pending + chunk;
    const hasNul = s.indexOf("\0") !== -1;
    let p = 0;
    /** Start of the current run of block text inside s. */
    let run = 0;
    /** The "\n\n" after p in s (-1: none; below p: not searched yet). */
    let dbl = -2;
    /** The next VMALLOC at or after p in s, the same way. */
    let vm = -2;
    for (;;) {
      // Fast path: a whole block (up to its blank line) is in s and fits in the buffer with room
      // to spare, so no fgets() call can split a line: take it at once instead of line by line.
      // (p is where the next fgets() starts, which is all a "line start" means to read_block.)
      if (!hasNul && s.charCodeAt(p) !== 10) {
        // Remembered across lines: a chunk tail without a blank line is searched once, not per line.
        if (dbl !== -1 && dbl < p) dbl = s.indexOf("\n\n", p);
        if (dbl !== -1 && this.used + (dbl + 2 - p) <= BUF_SIZE - 1) {
          const blankAt = dbl + 1;
          if (vm !== -1 && vm < p) vm = s.indexOf(VMALLOC, p);
          // Known only when all of the block is [p, blankAt) of s.
          const mayVm = run !== p || this.block.length !== 0 || (vm !== -1 && vm < blankAt);
          // PFN lines (line starts only) leave the text and become ext_buf; the last one wins.
          // Text before p not yet in this.block (lines the slow path took) starts at run.
          let content = this.block;
          let from = run;
          let q = s.startsWith("PFN", p) ? p : nextPfn(s, p);
          while (q !== -1 && q < blankAt) {
            const e = s.indexOf("\n", q) + 1;
            content += s.slice(from, q);
            this.ext = s.slice(q, e);
            from = e;
            q = nextPfn(s, e - 1);
          }
          content += s.slice(from, blankAt);
          this.block = "";
          this.used = 0;
          p = blankAt + 1;
          run = p;
          if (!this.sink(content, this.ext, mayVm)) {
            this.stopped = true;
            return false;
          }
          continue;
        }
      }
      const avail = BUF_SIZE - this.used;
      if (avail <= 1) {
        this.stopped = true;
        return false;
      }
      const max = avail - 1; // fgets stores at most n-1 bytes
      const nl = s.indexOf("\n", p);
      let end: number;
      if (nl !== -1 && nl - p < max) end = nl + 1;
      else if (s.length - p >= max) end = p + max;
      else break; // the rest of this line has not arrived yet
      if (nl === p) {
        // Blank line: the block is complete.
        const content = this.block + s.slice(run, p);
        this.block = "";
        this.used = 0;
        p = end;
        run = p;
        if (!this.sink(content, this.ext, true)) {
          this.stopped = true;
          return false;
        }
        continue;
      }
      let stop = end;
      if (hasNul) {
        const z = s.indexOf("\0", p);
        if (z !== -1 && z < end) stop = z;
      }
      if (stop - p >= 3 && s.startsWith("PFN", p)) {
        this.block += s.slice(run, p);
        this.ext = s.slice(p, stop);
        run = end;
      } else if (stop !== end) {
        this.block += s.slice(run, stop);
        this.used += stop - p;
        run = end;
      } else {
        this.used += end - p;
      }
      p = end;
    }
    this.block += s.slice(run, p);
    this.pending = s.slice(p);
    return true;
  }

  /** End of input: a block still open had no blank line after it and is dropped, as in C. */
  end(): void {
    this.stopped = true;
    this.pending = "";
    this.block = "";
  }
}
