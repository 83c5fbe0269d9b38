/**
 * Event record layouts (x86-64 C structs of the tracepoints, what they cost in the ftrace ring
 * buffer) and the tracepoints' text. Kernel: include/trace/events/page_pin_owner.h of RFC v2
 * (a copy of include/trace/events/page_ref.h's event class), kernel/trace/ring_buffer.c,
 * kernel/trace/trace_output.c.
 */
import { formatFlagNames, PAGE_SIZE, PAGEFLAG_NAMES_6_1 } from "@mm/api";
import {
  EV_FAIL,
  EV_FREE,
  EV_GET,
  EV_PUT,
  EV_REF_GET,
  EV_REF_PUT,
  type EventKind,
  type EventList,
} from "./api.js";

/** C member types the tracepoint structs use, with their x86-64 size (= alignment). */
const C_SIZE = { u8: 1, u16: 2, int: 4, ulong: 8, ptr: 8 } as const;
type CType = keyof typeof C_SIZE;

/** sizeof(struct) as gcc lays it out: members at their natural alignment, tail padded. */
export function cStructSize(members: readonly CType[]): number {
  let off = 0;
  let align = 1;
  for (const t of members) {
    const a = C_SIZE[t];
    off = Math.ceil(off / a) * a + a;
    if (a > align) align = a;
  }
  return Math.ceil(off / align) * align;
}

/** struct trace_entry: unsigned short type; unsigned char flags, preempt_count; int pid. */
const TRACE_ENTRY: readonly CType[] = ["u16", "u8", "u8", "int"];
/** The page_ref / page_pin_owner event class: pfn, flags, count, mapcount, mapping, mt. */
const PAGE_CLASS: readonly CType[] = [...TRACE_ENTRY, "ulong", "ulong", "int", "int", "ptr", "int"];

/** sizeof(struct trace_event_raw_page_pin_owner_put) = 48 (also page_pin_owner_get, ours). */
export const PUT_EVENT_BYTES = cStructSize(PAGE_CLASS);
/** sizeof(struct trace_event_raw_report_page_pinners): + const char *reason, int err = 64. */
export const FAIL_EVENT_BYTES = cStructSize([...PAGE_CLASS, "ptr", "int"]);
/** page_ref_mod (get_page): + int val = 48. */
export const REF_MOD_EVENT_BYTES = cStructSize([...PAGE_CLASS, "int"]);
/** page_ref_mod_and_test (put_page_testzero): + int val, int ret = 56. */
export const REF_MOD_AND_TEST_EVENT_BYTES = cStructSize([...PAGE_CLASS, "int", "int"]);
/**
 * struct stack_entry (TRACE_STACK) without its caller[] array: trace_entry + int size, padded to 8
 * = 16; __ftrace_trace_stack reserves this plus 8 bytes per frame (6.1).
 */
export const STACK_EVENT_HEADER_BYTES = cStructSize([...TRACE_ENTRY, "int", "ulong"]) - 8;

// kernel/trace/ring_buffer.c (x86-64: no CONFIG_HAVE_64BIT_ALIGNED_ACCESS, so 4-byte alignment)
/** offsetof(struct ring_buffer_event, array): the 4-byte type_len:5 / time_delta:27 header. */
export const RB_EVNT_HDR_SIZE = 4;
export const RB_ALIGNMENT = 4;
/** Payloads above RB_ALIGNMENT * RINGBUF_TYPE_DATA_TYPE_LEN_MAX (28) store their length in array[0]. */
export const RB_MAX_SMALL_DATA = RB_ALIGNMENT * 28;
/** A time-extend event, needed when the delta to the previous event does not fit in 27 bits. */
export const RB_LEN_TIME_EXTEND = 8;
export const TS_DELTA_MAX = (1 << 27) - 1;
/** struct buffer_data_page header: u64 time_stamp + local_t commit. */
export const BUF_PAGE_HDR_SIZE = 16;
/** Data bytes per ring-buffer page. */
export const BUF_PAGE_SIZE = PAGE_SIZE - BUF_PAGE_HDR_SIZE;
/** TRACE_BUF_SIZE_DEFAULT: buffer_size_kb reads 1408 per CPU. */
export const TRACE_BUF_SIZE_DEFAULT = 1441792;

/** rb_calculate_event_length(): bytes one event of `payload` bytes occupies in the ring. */
export function rbEventLength(payload: number): number {
  let len = payload === 0 ? 1 : payload;
  if (len > RB_MAX_SMALL_DATA) len += 4;
  len += RB_EVNT_HDR_SIZE;
  return (len + RB_ALIGNMENT - 1) & ~(RB_ALIGNMENT - 1);
}

/** Payload bytes of a kernel stack entry holding `nrFrames` return addresses. */
export function stackEventPayload(nrFrames: number): number {
  return STACK_EVENT_HEADER_BYTES + 8 * nrFrames;
}

/** Payload bytes of each event kind's ftrace record; 0 for kinds with no tracepoint (EV_FREE). */
export const EVENT_PAYLOAD_BYTES: readonly number[] = [
  FAIL_EVENT_BYTES, // EV_FAIL
  PUT_EVENT_BYTES, // EV_PUT
  PUT_EVENT_BYTES, // EV_GET
  0, // EV_FREE: the RFC clears the flag silently
  REF_MOD_AND_TEST_EVENT_BYTES, // EV_REF_PUT
  REF_MOD_EVENT_BYTES, // EV_REF_GET
];

/** Tracepoint names per kind ("" for kinds with no tracepoint). */
export const EVENT_NAMES: readonly string[] = [
  "report_page_pinners",
  "page_pin_owner_put",
  "page_pin_owner_get",
  "",
  "page_ref_mod_and_test",
  "page_ref_mod",
];

/** Trace systems per kind (tracefs events/<system>/<name>). */
export const EVENT_SYSTEMS: readonly string[] = ["page_pin_owner", "page_pin_owner", "page_pin_owner", "", "page_ref", "page_ref"];

/** `show_page_flags(flags & PAGEFLAGS_MASK)`: names joined by `|`, "none" for 0. */
export function showPageFlags(flags: number): string {
  return flags === 0 ? "none" : formatFlagNames(flags >>> 0, PAGEFLAG_NAMES_6_1);
}

/** Fixed key of the model's pointer hash (the kernel's siphash key is random per boot). */
const PTR_KEY = 0x9e3779b9;

/**
 * `%p` of page->mapping: NULL prints as 16 zeros; anything else as its hashed id, which on 64-bit is
 * the low 32 bits of a keyed hash printed as 16 hex digits (lib/vsprintf.c ptr_to_id). The model
 * hashes the opaque mapping id with murmur3's finaliser instead of siphash.
 */
export function formatHashedPointer(id: number): string {
  if (id === 0) return "0000000000000000";
  let h = (id ^ PTR_KEY) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h = (h ^ (h >>> 16)) >>> 0;
  return `00000000${h.toString(16).padStart(8, "0")}`;
}

/**
 * `%pS` of page->mapping (page_pinner): a heap address has no symbol, so vsprintf prints `0x%lx`.
 * The model places mapping ids in the direct map (0xffff888100000000 + id * 0x100); NULL is `0x0`.
 */
export function formatMappingSymbol(id: number): string {
  if (id === 0) return "0x0";
  return `0x${(0xffff888100000000n + BigInt(id >>> 0) * 0x100n).toString(16)}`;
}

/** `pfn=0x%lx flags=%s count=%d mapcount=%d mapping=%p mt=%d` (the event class's TP_printk). */
export function formatPageFields(pfn: number, flags: number, count: number, mapcount: number, mapping: number, mt: number): string {
  return `pfn=0x${pfn.toString(16)} flags=${showPageFlags(flags)} count=${count} mapcount=${mapcount} mapping=${formatHashedPointer(mapping)} mt=${mt}`;
}

/** report_page_pinners: the class's fields + ` reason=%s err=%d`. */
export function formatReport(
  pfn: number,
  flags: number,
  count: number,
  mapcount: number,
  mapping: number,
  mt: number,
  reason: string,
  err: number,
): string {
  return `${formatPageFields(pfn, flags, count, mapcount, mapping, mt)} reason=${reason} err=${err}`;
}

/** The TP_printk text of event `i` of a list (what follows `name: ` in a trace line). */
export function formatEventBody(list: EventList, i: number, reasonNames: readonly string[]): string {
  const kind = list.kind[i] as EventKind;
  const base = formatPageFields(list.pfn[i], list.flags[i], list.count[i], list.mapcount[i], list.mapping[i], list.mt[i]);
  switch (kind) {
    case EV_FAIL: {
      const r = list.reason[i];
      return `${base} reason=${r >= 0 && r < reasonNames.length ? reasonNames[r] : "(null)"} err=${list.err[i]}`;
    }
    case EV_PUT:
    case EV_GET:
    case EV_FREE:
      return base;
    case EV_REF_PUT:
      // put_page_testzero -> page_ref_dec_and_test: val -1, ret = the count reached 0.
      return `${base} val=-1 ret=${list.count[i] === 0 ? 1 : 0}`;
    case EV_REF_GET:
      return `${base} val=1`;
  }
}

/** ` %5lu.%06lu` of a ns timestamp, as ftrace prints it (microsecond resolution, truncated). */
export function formatSecUsec(ns: number): string {
  const us = Math.floor(ns / 1000);
  const secs = Math.floor(us / 1_000_000);
  const rem = us - secs * 1_000_000;
  return `${String(secs).padStart(5, " ")}.${String(rem).padStart(6, "0")}`;
}

/** `%ps` of a frame: the function name without `+0xoff/0xsize` (a module suffix is kept). */
export function symbolName(text: string): string {
  const plus = text.indexOf("+0x");
  if (plus < 0) return text;
  const mod = text.indexOf(" [", plus);
  return mod < 0 ? text.slice(0, plus) : text.slice(0, plus) + text.slice(mod);
}
