export {
  EV_FAIL,
  EV_FREE,
  EV_GET,
  EV_PUT,
  EV_REF_GET,
  EV_REF_PUT,
  NR_EVENT_KINDS,
  PAGE_EXT_TRACE_UNREF,
  newTraceEvent,
  type EventKind,
  type EventList,
  type EventSink,
  type FlagsWord,
  type HookSubscriber,
  type PageStateReader,
  type ReasonFilterMode,
  type RenderContext,
  type SinkStats,
  type StackStore,
  type TraceAllOptions,
  type TraceEvent,
  type TracerCommonOptions,
  type TracerStats,
  type TraceReason,
  type TraceUnrefOptions,
} from "./api.js";
export {
  BUF_PAGE_SIZE,
  EVENT_NAMES,
  EVENT_PAYLOAD_BYTES,
  EVENT_SYSTEMS,
  FAIL_EVENT_BYTES,
  PUT_EVENT_BYTES,
  REF_MOD_AND_TEST_EVENT_BYTES,
  REF_MOD_EVENT_BYTES,
  STACK_EVENT_HEADER_BYTES,
  TRACE_BUF_SIZE_DEFAULT,
  formatEventBody,
  formatHashedPointer,
  formatMappingSymbol,
  formatPageFields,
  formatReport,
  formatSecUsec,
  rbEventLength,
  showPageFlags,
  stackEventPayload,
} from "./events.js";
export { type FtraceCpuRing, ftraceRing, type FtraceRingOptions, traceHeader } from "./ftrace-ring.js";
export { type PercpuFtrace, percpuFtrace, type PercpuFtraceOptions } from "./percpu-ring.js";
export {
  CAPTURED_PINNER_BYTES,
  PAGE_PINNER_BUFFER_SIZE,
  PAGE_PINNER_EXT_BYTES,
  pagePinnerRing,
  type PagePinnerRingOptions,
} from "./page-pinner-ring.js";
export { createTraceUnref, TraceUnref } from "./trace-unref.js";
export { createTraceAll, TraceAll } from "./trace-all.js";
export { concatEventLists } from "./internal/store.js";
export { failedPfns, findHolders, formatHolderReport, type HolderReport, type RefEvent } from "./holders.js";
export { flagsWordOf, registerTraceUnrefClient, type TraceUnrefClientOptions } from "./page-ext-client.js";
