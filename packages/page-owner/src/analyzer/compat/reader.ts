// page_owner_sort's read_block(), as a push parser over bytes.
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
//
// Bytes, not strings: input lands in one fixed window (file reads go straight into it), each block
// is copied into one fixed block buffer, and the sink parses it there. Nothing is allocated per
// block here, so memory stays flat whatever the dump's size.

import { ALLOCATOR_CMA, ALLOCATOR_SLAB } from "./fields.js";

/** BUF_SIZE of page_owner_sort.c: 128 KiB per block. */
export const BUF_SIZE = 128 * 1024;

/**
 * Called with each block (PFN lines removed, no trailing blank line) in `block[0, len)`, the
 * CMA/SLAB allocator bits of the current ext_buf (the last PFN line read: get_allocator() only
 * asks whether it contains "CMA" or "slab"), and false when the block certainly has no
 * "__vmalloc_node_range" (true: maybe). The sink may overwrite `block` (it is reused). Return
 * false to stop reading, as add_list() failing does.
 */
export type BlockSink = (block: Buffer, len: number, extBits: number, mayHaveVmalloc: boolean) => boolean;

const NL = 10;
const NLNL = Buffer.from("\n\n", "latin1");
const NLPFN = Buffer.from("\nPFN", "latin1");
/** What get_allocator() looks for in each block; searched once per window instead. */
const VMALLOC = Buffer.from("__vmalloc_node_range", "latin1");

/**
 * Input window: a read returns ~450 blocks of a real dump at once, and it stays in L2. It must
 * exceed BUF_SIZE: an incomplete line carried over to the next read is at most BUF_SIZE - 2 bytes
 * (fgets cuts longer ones); a block that does not fit what is left goes line by line, as in C.
 */
const WINDOW = 256 << 10;

/**
 * get_allocator()'s ext_buf tests: "CMA" and "slab" anywhere in the line b[from, to). A loop over
 * the one line: a native search for "slab" would stop at every 's' of the window up to the next hit.
 */
function extBitsOf(b: Buffer, from: number, to: number): number {
  let bits = 0;
  for (let i = from; i + 3 <= to; i++) {
    const c = b[i];
    if (c === 0x43 && b[i + 1] === 0x4d && b[i + 2] === 0x41) bits |= ALLOCATOR_CMA; // "CMA"
    else if (c === 0x73 && i + 4 <= to && b[i + 1] === 0x6c && b[i + 2] === 0x61 && b[i + 3] === 0x62) bits |= ALLOCATOR_SLAB; // "slab"
  }
  return bits;
}

/** Start of the first line after b[from..] that begins with "PFN" (-1: none). */
function nextPfn(b: Buffer, from: number): number {
  const i = b.indexOf(NLPFN, from);
  return i === -1 ? -1 : i + 1;
}

/** True when b[p, p + 3) is "PFN" and lies below `end`. */
function isPfn(b: Buffer, p: number, end: number): boolean {
  return p + 3 <= end && b[p] === 0x50 && b[p + 1] === 0x46 && b[p + 2] === 0x4e;
}

/** Feeds bytes in, calls the sink once per block. */
export class CompatBlockReader {
  /** Unconsumed input in win[0, wlen): the start of a line whose end has not arrived yet. */
  private readonly win = Buffer.allocUnsafeSlow(WINDOW);
  private wlen = 0;
  /** The C block buffer: block text so far in blk[0, used) (curr - buf). */
  private readonly blk = Buffer.allocUnsafeSlow(BUF_SIZE);
  private used = 0;
  /** ext_buf's allocator bits: persist across blocks, as in C. */
  private ext = 0;
  private stopped = false;

  constructor(private readonly sink: BlockSink) {}

  /** True once reading has ended (buffer overflow or the sink said stop). */
  get done(): boolean {
    return this.stopped;
  }

  /** Feeds bytes (any chunking). Returns false once reading stopped. */
  push(chunk: Uint8Array): boolean {
    let off = 0;
    while (off < chunk.length && !this.stopped) {
      const n = Math.min(chunk.length - off, WINDOW - this.wlen);
      this.win.set(n === chunk.length && off === 0 ? chunk : chunk.subarray(off, off + n), this.wlen);
      this.wlen += n;
      off += n;
      this.scan();
    }
    return !this.stopped;
  }

  /**
   * Reads an open file to its end (or until reading stops) straight into the window: what push()
   * does without an intermediate chunk. `read` has readSync's shape and returns 0 at the end.
   */
  pull(read: (buf: Buffer, off: number, len: number) => number): void {
    while (!this.stopped) {
      const n = read(this.win, this.wlen, WINDOW - this.wlen);
      if (n <= 0) return;
      this.wlen += n;
      this.scan();
    }
  }

  /** Consumes every complete line of the window, keeps the incomplete rest at its start. */
  private scan(): void {
    const all = this.win;
    const s = all.subarray(0, this.wlen); // searches must not see stale bytes past wlen
    const len = this.wlen;
    const blk = this.blk;
    const hasNul = s.indexOf(0) !== -1;
    let p = 0;
    /** The "\n\n" after p (-1: none; below p: not searched yet). */
    let dbl = -2;
    /** The next VMALLOC at or after p, the same way. */
    let vm = -2;
    /** The next line start after p holding "PFN", the same way. */
    let pfn = -2;
    for (;;) {
      if (p >= len) break;
      // Fast path: a whole block (up to its blank line) is in the window and fits in the buffer
      // with room to spare, so no fgets() call can split a line: take it at once instead of line
      // by line. (p is where the next fgets() starts, which is all a "line start" means here.)
      if (!hasNul && s[p] !== NL) {
        if (dbl !== -1 && dbl < p) dbl = s.indexOf(NLNL, p);
        if (dbl !== -1 && this.used + (dbl + 2 - p) <= BUF_SIZE - 1) {
          const blankAt = dbl + 1;
          if (vm !== -1 && vm < p) vm = s.indexOf(VMALLOC, p);
          // Known only when all of the block is [p, blankAt) of the window.
          const mayVm = this.used !== 0 || (vm !== -1 && vm < blankAt);
          // PFN lines (line starts only) leave the text and set ext_buf; the last one wins.
          let used = this.used;
          let from = p;
          if (pfn !== -1 && pfn <= p) pfn = nextPfn(s, p);
          let q = isPfn(s, p, len) ? p : pfn;
          while (q !== -1 && q < blankAt) {
            const e = s.indexOf(NL, q) + 1;
            s.copy(blk, used, from, q);
            used += q - from;
            this.ext = extBitsOf(s, q, e);
            from = e;
            q = pfn = nextPfn(s, e - 1);
          }
          s.copy(blk, used, from, blankAt);
          used += blankAt - from;
          this.used = 0;
          p = blankAt + 1;
          if (!this.sink(blk, used, this.ext, mayVm)) {
            this.stopped = true;
            return;
          }
          continue;
        }
      }
      const avail = BUF_SIZE - this.used;
      if (avail <= 1) {
        this.stopped = true;
        return;
      }
      const max = avail - 1; // fgets stores at most n-1 bytes
      const nl = s.indexOf(NL, p);
      let end: number;
      if (nl !== -1 && nl - p < max) end = nl + 1;
      else if (len - p >= max) end = p + max;
      else break; // the rest of this line has not arrived yet
      if (nl === p) {
        // Blank line: the block is complete.
        const used = this.used;
        this.used = 0;
        p = end;
        if (!this.sink(blk, used, this.ext, true)) {
          this.stopped = true;
          return;
        }
        continue;
      }
      let stop = end;
      if (hasNul) {
        const z = s.indexOf(0, p);
        if (z !== -1 && z < end) stop = z;
      }
      if (stop - p >= 3 && isPfn(s, p, stop)) {
        this.ext = extBitsOf(s, p, stop);
      } else {
        // strlen() stops at a NUL: the rest of that line is overwritten by the next fgets().
        s.copy(blk, this.used, p, stop);
        this.used += stop - p;
      }
      p = end;
    }
    // Keep the incomplete line for the next read.
    if (p > 0) {
      if (p < len) all.copyWithin(0, p, len);
      this.wlen = len - p;
    }
  }

  /** End of input: a block still open had no blank line after it and is dropped, as in C. */
  end(): void {
    this.stopped = true;
    this.wlen = 0;
    this.used = 0;
  }
}
