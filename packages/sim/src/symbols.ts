/**
 * Frame ids <-> kernel symbol text (`func+0xoff/0xsize`, what `%pS` prints in a stack trace).
 * Stands in for kallsyms: ids are interned strings, so stack traces are Uint32Arrays of ids.
 */
import { MmError, type SymbolTable } from "@mm/api";

/** A parsed `%pS` frame: `func+0xoff/0xsize [module]`. */
export interface ParsedFrame {
  readonly func: string;
  readonly offset: number;
  readonly size: number;
  /** Module name for ` [mod]` suffixes, else undefined (built-in). */
  readonly module: string | undefined;
}

/** `func+0xoff/0xsize` with an optional ` [module]` suffix. */
const FRAME_RE = /^([^\s+]+)\+0x([0-9a-f]+)\/0x([0-9a-f]+)(?: \[([^\]]+)\])?$/;
/** Quick test for "already symbol text" vs a bare function name. */
const HAS_OFFSET_RE = /\+0x[0-9a-f]+\/0x[0-9a-f]+/;

/** Parse one frame of kernel stack text; null if it is not `func+0xoff/0xsize[ [mod]]`. */
export function parseFrame(text: string): ParsedFrame | null {
  const m = FRAME_RE.exec(text);
  if (m === null) return null;
  return { func: m[1], offset: parseInt(m[2], 16), size: parseInt(m[3], 16), module: m[4] };
}

/** Format a frame the way `%pS` does: `func+0x1bc/0x300`. */
export function formatFrame(func: string, offset: number, size: number): string {
  return `${func}+0x${offset.toString(16)}/0x${size.toString(16)}`;
}

/** FNV-1a over UTF-16 code units; a stable hash for deriving synthetic offsets. */
function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** murmur3 fmix32, to get a second independent-looking number from one hash. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The deterministic synthetic (offset, size) for a bare function name: size is a multiple of
 * 0x10 in [0x40, 0xfd0], offset in [1, size) — a plausible return address inside the function.
 * The same name always gives the same frame text, in every run and every table.
 */
export function syntheticFrame(func: string): string {
  const h = fnv1a32(func);
  const size = 0x40 + ((h >>> 4) % 0xf9) * 0x10;
  const offset = 1 + (fmix32(h) % (size - 1));
  return formatFrame(func, offset, size);
}

/**
 * Interning symbol table. Implements `SymbolTable` from @mm/api. Ids start at 1 and are dense;
 * 0 is never a frame.
 */
export class Symbols implements SymbolTable {
  /** text -> id. */
  private readonly ids = new Map<string, number>();
  /** id -> text; [0] is a placeholder so ids index directly. */
  private readonly texts: string[] = [""];

  /** Number of interned frames (the largest id). */
  get size(): number {
    return this.texts.length - 1;
  }

  /**
   * Intern a frame text (any non-empty single-line string; normally `func+0xoff/0xsize`).
   * @returns its id (>= 1); the same text always returns the same id.
   * @throws MmError EINVAL for an empty string or one containing a newline.
   */
  intern(text: string): number {
    const id = this.ids.get(text);
    if (id !== undefined) return id;
    if (typeof text !== "string" || text.length === 0 || text.includes("\n")) {
      throw new MmError("EINVAL", `frame text must be a non-empty single line, got ${JSON.stringify(text)}`);
    }
    const next = this.texts.length;
    this.texts.push(text);
    this.ids.set(text, next);
    return next;
  }

  /** The id of `text` if interned, else 0 (does not intern). */
  lookup(text: string): number {
    return this.ids.get(text) ?? 0;
  }

  /**
   * The text of a frame id.
   * @throws MmError BAD_HANDLE if the id was never handed out.
   */
  symbolize(id: number): string {
    if (!Number.isInteger(id) || id < 1 || id >= this.texts.length) {
      throw new MmError("BAD_HANDLE", `unknown frame id ${id}`, { id });
    }
    return this.texts[id];
  }

  /**
   * Intern `func+0xoff/0xsize`. Without offset/size the synthetic ones of `syntheticFrame(func)`
   * are used, so e.g. `frame("__alloc_pages")` is the same frame everywhere.
   * @throws MmError EINVAL for a bad name or 0 <= offset < size violated.
   */
  frame(func: string, offset?: number, size?: number): number {
    if (typeof func !== "string" || func.length === 0 || /[\s+]/.test(func)) {
      throw new MmError("EINVAL", `bad function name ${JSON.stringify(func)}`);
    }
    if (offset === undefined && size === undefined) return this.intern(syntheticFrame(func));
    if (
      offset === undefined ||
      size === undefined ||
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(size) ||
      offset < 0 ||
      size <= 0 ||
      offset >= size
    ) {
      throw new MmError("EINVAL", `bad frame ${func}: offset ${offset} size ${size}`);
    }
    return this.intern(formatFrame(func, offset, size));
  }

  /**
   * A frame from either full text (`f+0x1/0x10`, interned as is) or a bare function name
   * (given its synthetic offset/size).
   */
  resolve(textOrFunc: string): number {
    const id = this.ids.get(textOrFunc);
    if (id !== undefined) return id;
    return HAS_OFFSET_RE.test(textOrFunc) ? this.intern(textOrFunc) : this.frame(textOrFunc);
  }

  /**
   * A trace as ids, in the order given: pass frames innermost first (as the kernel prints a stack),
   * each a frame text, a bare function name, or an id.
   */
  trace(frames: readonly (string | number)[]): Uint32Array {
    // validate everything first, so a bad element interns nothing (state unchanged on error)
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i];
      if (typeof f === "number") this.checkId(f);
      else if (!this.ids.has(f)) {
        if (typeof f !== "string" || f.length === 0 || f.includes("\n")) {
          throw new MmError("EINVAL", `frame text must be a non-empty single line, got ${JSON.stringify(f)}`);
        }
        if (!HAS_OFFSET_RE.test(f) && /[\s+]/.test(f)) throw new MmError("EINVAL", `bad function name ${JSON.stringify(f)}`);
      }
    }
    const out = new Uint32Array(frames.length);
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i];
      out[i] = typeof f === "number" ? this.checkId(f) : this.resolve(f);
    }
    return out;
  }

  /** The texts of `ids[0..count)`. */
  symbolizeAll(ids: ArrayLike<number>, count = ids.length): string[] {
    const out = new Array<string>(count);
    for (let i = 0; i < count; i++) out[i] = this.symbolize(ids[i]);
    return out;
  }

  /** Every id maps back to its text and the text to the id. @throws MmError INVARIANT */
  checkInvariants(): void {
    if (this.ids.size !== this.texts.length - 1) {
      throw new MmError("INVARIANT", `symbols: ${this.ids.size} keys for ${this.texts.length - 1} ids`);
    }
    for (let id = 1; id < this.texts.length; id++) {
      if (this.ids.get(this.texts[id]) !== id) throw new MmError("INVARIANT", `symbols: id ${id} does not round-trip`);
    }
  }

  private checkId(id: number): number {
    this.symbolize(id);
    return id;
  }
}

/** A new, empty symbol table. */
export function createSymbols(): Symbols {
  return new Symbols();
}
