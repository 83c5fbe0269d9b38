/**
 * Android's page_pinner ring: a fixed number of records (default 4096) that silently overwrites
 * the oldest, read back newest first from /sys/kernel/debug/page_pinner/buffer.
 * Kernel: aosp-mirror/kernel_common mm/page_pinner.c (android12-5.10 onward), kernel-spec §6.5.
 */
import { formatPageFlags, MmError, PAGEBLOCK_ORDER } from "@mm/api";
import { EV_FAIL, EV_FREE, EV_PUT, type EventList, type EventSink, type RenderContext, type SinkStats, type TraceEvent } from "./api.js";
import { cStructSize, formatMappingSymbol } from "./events.js";
import { EventStore, toEventList } from "./internal/store.js";

/** Default `buffer_size` of page_pinner (records). */
export const PAGE_PINNER_BUFFER_SIZE = 4096;

/**
 * sizeof(struct captured_pinner) as the model assumes it: handle, ts_usec/elapsed, pfn, count,
 * mapcount, mapping, flags, state = 56 bytes (member order inferred, not verified).
 */
export const CAPTURED_PINNER_BYTES = cStructSize(["int", "ulong", "ulong", "int", "int", "ptr", "ulong", "int"]);

/** sizeof(struct page_pinner) in page_ext: depot handle, u64 ts_usec, atomic_t count = 24 bytes. */
export const PAGE_PINNER_EXT_BYTES = cStructSize(["int", "ulong", "int"]);

export interface PagePinnerRingOptions {
  /** Records in the ring (`buffer_size`). @defaultValue 4096 */
  readonly size?: number;
}

class PagePinnerRing implements EventSink {
  readonly name: string;
  readonly pageExtPayloadBytes = PAGE_PINNER_EXT_BYTES;
  readonly stacktrace = true;
  readonly size: number;
  private readonly store: EventStore;
  /**
   * Failure time (µs) of each page with a failure record and no free yet. The kernel keeps it in
   * the page's page_ext payload (ts_usec); only armed pages are ever here.
   */
  private readonly failedAt = new Map<number, number>();
  private offered = 0;
  private unsupported = 0;
  private written = 0;
  private lost = 0;

  constructor(options: PagePinnerRingOptions) {
    const size = options.size ?? PAGE_PINNER_BUFFER_SIZE;
    if (!Number.isInteger(size) || size < 1) throw new MmError("BAD_CONFIG", `page_pinner buffer_size must be a positive integer, got ${size}`);
    this.size = size;
    this.name = `page_pinner ring ${size} records`;
    this.store = new EventStore(Math.min(size, 256), size);
  }

  emit(ev: TraceEvent): void {
    this.offered++;
    const kind = ev.kind;
    if (kind !== EV_FAIL && kind !== EV_PUT && kind !== EV_FREE) {
      this.unsupported++; // page_pinner has no record for gets or page_ref events
      return;
    }
    const usec = Math.floor(ev.ts / 1000);
    let aux = usec;
    if (kind === EV_FAIL) {
      if (!this.failedAt.has(ev.pfn)) this.failedAt.set(ev.pfn, usec);
    } else if (kind === EV_PUT) {
      // "At least, pinned for": µs since the failure was detected.
      const t0 = this.failedAt.get(ev.pfn);
      aux = t0 === undefined ? 0 : usec - t0;
    } else {
      this.failedAt.delete(ev.pfn);
    }
    const st = this.store;
    if (st.length === this.size) {
      st.dropFront(1);
      this.lost++;
    }
    const s = st.push(ev, kind);
    st.aux[s] = aux;
    this.written++;
  }

  stats(): SinkStats {
    return {
      offered: this.offered,
      unsupported: this.unsupported,
      written: this.written,
      bytesWritten: this.written * CAPTURED_PINNER_BYTES,
      lost: this.lost,
      lostEvents: this.lost,
      resident: this.store.length,
      capacityBytes: this.size * CAPTURED_PINNER_BYTES,
    };
  }

  snapshot(): EventList {
    const slots: number[] = [];
    for (let i = 0; i < this.store.length; i++) slots.push(this.store.slot(i));
    return toEventList(this.store, slots);
  }

  /** Reading `buffer` to the end: every record, newest first (print_page_pinner per read). */
  render(ctx: RenderContext): string {
    const st = this.store;
    const parts: string[] = [];
    for (let i = st.length - 1; i >= 0; i--) {
      const s = st.slot(i);
      const kind = st.kind[s];
      let text: string;
      if (kind === EV_PUT) {
        text = `At least, pinned for ${st.aux[s]} us\n`;
      } else {
        const usec = st.aux[s];
        const secs = Math.floor(usec / 1_000_000);
        const stamp = `[${String(secs).padStart(5, " ")}.${String(usec - secs * 1_000_000).padStart(6, "0")}]`;
        text = kind === EV_FREE ? `Freed at ${stamp}\n` : `Failure detected at ${stamp}\n`;
      }
      const pfn = st.pfn[s];
      // "%#lx(%pGp)": %#lx prints a zero value as "0", not "0x0".
      let flags = formatPageFlags(st.flags[s], 0, st.zone[s]);
      if (flags.startsWith("0x0(")) flags = `0${flags.slice(3)}`;
      text += `PFN 0x${pfn.toString(16)} Block ${Math.floor(pfn / (1 << PAGEBLOCK_ORDER))} count ${st.count[s]} mapcount ${st.mapcount[s]} mapping ${formatMappingSymbol(st.mapping[s])} Flags ${flags}\n`;
      // stack_trace_snprint(..., spaces = 0): "%*c%pS\n" with width 1.
      const frames = ctx.fetchStack(st.handle[s]);
      for (let f = 0; f < frames.length; f++) text += ` ${ctx.symbols.symbolize(frames[f])}\n`;
      parts.push(`${text}\n`);
    }
    return parts.join("");
  }

  reset(): void {
    this.store.clear();
    this.failedAt.clear();
    this.offered = this.unsupported = this.written = this.lost = 0;
  }

  checkInvariants(): void {
    if (this.store.length > this.size) throw new MmError("INVARIANT", `page_pinner ring holds ${this.store.length} > ${this.size}`);
    if (this.written !== this.store.length + this.lost)
      throw new MmError("INVARIANT", `written ${this.written} != resident ${this.store.length} + lost ${this.lost}`);
    if (this.offered !== this.written + this.unsupported) throw new MmError("INVARIANT", "offered != written + unsupported");
  }
}

/** Android page_pinner's ring of `size` records (4096 by default) with its record text. */
export function pagePinnerRing(options: PagePinnerRingOptions = {}): EventSink & { readonly size: number } {
  return new PagePinnerRing(options);
}
