/**
 * @mm/page-reporting: free page reporting to a hypervisor (mm/page_reporting.c, virtio_balloon)
 * with the seed-004 policies on two independent axes.
 */
export {
  PAGE_REPORTING_ACTIVE,
  PAGE_REPORTING_CAPACITY,
  PAGE_REPORTING_DELAY_NS,
  PAGE_REPORTING_IDLE,
  PAGE_REPORTING_ORDER_UNSPECIFIED,
  PAGE_REPORTING_REQUESTED,
  type CapacityRule,
  type PageReportingOptions,
  type PageReportingState,
  type PageReportingStats,
  type ReportDevice,
  type ScatterlistMechanism,
  type ScatterlistMechanismStats,
} from "./api.js";
export { createPageReporting, resolveReportingOrder, type PageReporting } from "./reporter.js";
export { createScatterlist, sgChainLength, sgInitTable, sgNext, sgSetPage, type Scatterlist } from "./scatterlist.js";
export { fixedCapacity } from "./capacity/fixed.js";
export { freeLimitedCapacity } from "./capacity/free-limited.js";
export { freeLimitedPerOrderCapacity } from "./capacity/free-limited-per-order.js";
export { shiftCapacity } from "./capacity/shift.js";
export { calculateZoneOrderThreshold, capacityFromThreshold } from "./capacity/threshold.js";
export { reinitScatterlist } from "./sgl/reinit.js";
export { reserveScatterlist } from "./sgl/reserve.js";
export { createVirtioBalloon, type VirtioBalloon, type VirtioBalloonOptions } from "./device/virtio-balloon.js";
export { checkPageReportingInvariants, checkReportedBlocks } from "./invariants.js";
export { REPORTING_POLICIES, reportingPolicy, type ReportingPolicy } from "./policies.js";
