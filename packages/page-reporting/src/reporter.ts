/**
 * The page reporting state machine and its delayed worker.
 * Kernel counterpart: mm/page_reporting.c __page_reporting_request(), __page_reporting_notify(),
 * page_reporting_process(), page_reporting_register() / _unregister().
 *
 *            free of order >= reporting order (or register)
 *   IDLE ---------------------------------------------------> REQUESTED --(2 s later)--> ACTIVE
 *    ^                                                            ^                        |
 *    |                 pass ends, nobody asked again              |  pass ends and someone  |
 *    +------------------------------------------------------------+--- asked (free, budget) +
 *                                                                    reschedules in 2 s
 *
 * The cycle has four stages: fill, report, drain, and idle.
 */
import { MmError, type Order, type ReportableFreeArea, type Scheduler, type TimerHandle } from "@mm/api";
import {
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
import { fixedCapacity } from "./capacity/fixed.js";
import { type PassContext, processZone } from "./cycle.js";
import { createScatterlist, type Scatterlist, sgInitTable } from "./scatterlist.js";
import { reserveScatterlist } from "./sgl/reserve.js";

/** Areas with a registered reporter: the kernel allows one device (pr_dev_info), else -EBUSY. */
const registered = new WeakSet<ReportableFreeArea>();
/** Areas whose page_reporting_enabled static key is on (it is never turned off again). */
const enabled = new WeakSet<ReportableFreeArea>();

/** A registered free page reporting instance. */
export interface PageReporting {
  /** prdev->state. */
  readonly state: PageReportingState;
  /** The resolved page_reporting_order. */
  readonly order: Order;
  /** Whether a pass is running (possibly waiting for the device). */
  readonly passRunning: boolean;
  /** The scatterlist (read it for checks; entries offset .. 31 are isolated). */
  readonly sgl: Scatterlist;
  /** The current fill offset. */
  readonly offset: number;
  readonly capacityRule: CapacityRule;
  readonly mechanism: ScatterlistMechanism;
  /** A snapshot of the counters (allocates, call it when you need it). */
  stats(): PageReportingStats;
  /** The mechanism's own bookkeeping counters. */
  mechanismStats(): ScatterlistMechanismStats;
  /** Pages isolated right now (cheap, for samplers). */
  readonly isolatedPages: number;
  /** __page_reporting_request(). */
  request(): void;
  /** page_reporting_unregister(): stop listening; a running pass finishes but does not reschedule. */
  unregister(): void;
}

function freshStats(): PageReportingStats {
  return {
    passes: 0,
    zonesSkipped: 0,
    reportCalls: 0,
    reportErrors: 0,
    leftoverReports: 0,
    flushReports: 0,
    reportedBlocks: 0,
    reportedPages: 0,
    markedReported: 0,
    mergedOnDrain: 0,
    maxBatchPages: 0,
    isolatedPages: 0,
    peakIsolatedPages: 0,
    isolateFailures: 0,
    budgetExhausted: 0,
    sgInits: 0,
    sgInitEntries: 0,
  };
}

/**
 * Resolve page_reporting_order as page_reporting_register() does (2022+): the module parameter if
 * set, else the driver's order if 0 < order <= MAX_ORDER, else pageblock_order.
 */
export function resolveReportingOrder(param: number, deviceOrder: number, pageblockOrder: number, maxOrder: Order): Order {
  if (!Number.isInteger(param) || param < PAGE_REPORTING_ORDER_UNSPECIFIED || param > maxOrder) {
    throw new MmError("EINVAL", `page_reporting_order ${param} not in [-1, ${maxOrder}]`, { param });
  }
  if (param !== PAGE_REPORTING_ORDER_UNSPECIFIED) return param;
  if (Number.isInteger(deviceOrder) && deviceOrder > 0 && deviceOrder <= maxOrder) return deviceOrder;
  return pageblockOrder;
}

class Reporter implements PageReporting, PassContext {
  readonly area: ReportableFreeArea;
  readonly device: ReportDevice;
  readonly rule: CapacityRule;
  readonly mechanism: ScatterlistMechanism;
  readonly sgl: Scatterlist;
  readonly counters: PageReportingStats = freshStats();
  readonly onDrain: ((pages: number, reported: boolean) => void) | null;
  readonly order: Order;
  state: PageReportingState = PAGE_REPORTING_IDLE;
  offset = PAGE_REPORTING_CAPACITY;
  base = 0;
  // The simulated workqueue.
  private readonly scheduler: Scheduler;
  private readonly delayNs: number;
  // The pass in progress (suspended while the device works), null when none.
  private pass: Generator<number, void, void> | null = null;
  // Pending delayed work or device wait.
  private timer: TimerHandle | null = null;
  private live = true;
  // Bound once: the free-notify listener and the workqueue callback.
  private readonly notify: (order: Order) => void;
  private readonly step: () => void;

  constructor(opts: PageReportingOptions) {
    const area = opts.area;
    if (area.buddyOrder === undefined) {
      throw new MmError("BAD_CONFIG", "the area has no buddyOrder(): page_reporting_drain cannot tell merged blocks");
    }
    const delayNs = opts.delayNs ?? PAGE_REPORTING_DELAY_NS;
    if (!(delayNs >= 0)) throw new MmError("EINVAL", `delayNs ${delayNs} must be >= 0`);
    this.order = resolveReportingOrder(
      opts.pageReportingOrder ?? PAGE_REPORTING_ORDER_UNSPECIFIED,
      opts.deviceOrder ?? 0,
      opts.pageblockOrder ?? 9,
      area.maxOrder,
    );
    if (this.order < 0 || this.order > area.maxOrder) {
      throw new MmError("EINVAL", `reporting order ${this.order} outside 0..${area.maxOrder}`);
    }
    if (registered.has(area)) throw new MmError("BUSY", "a page reporting device is already registered (-EBUSY)");
    this.area = area;
    this.device = opts.device;
    this.rule = opts.capacityRule ?? fixedCapacity();
    this.mechanism = opts.mechanism ?? reserveScatterlist();
    this.sgl = createScatterlist(PAGE_REPORTING_CAPACITY);
    this.onDrain = opts.onDrain ?? null;
    this.scheduler = opts.scheduler;
    this.delayNs = delayNs;
    const minOrder = this.order;
    this.notify = (order: Order) => {
      // page_reporting_notify_free(): only blocks of at least the reporting order.
      if (order >= minOrder) this.request();
    };
    this.step = () => this.runStep();
    registered.add(area);
    // "Request an initial report" at registration, then enable the notifications.
    this.request();
    area.onFreeNotify(this.notify);
    if (!enabled.has(area)) {
      enabled.add(area);
      opts.log?.("Free page reporting enabled");
    }
  }

  get capacityRule(): CapacityRule {
    return this.rule;
  }

  get passRunning(): boolean {
    return this.pass !== null;
  }

  get isolatedPages(): number {
    return this.counters.isolatedPages;
  }

  stats(): PageReportingStats {
    return { ...this.counters };
  }

  mechanismStats(): ScatterlistMechanismStats {
    return { ...this.mechanism.stats };
  }

  request(): void {
    if (!this.live) return;
    // Already requested: nothing to do.
    if (this.state === PAGE_REPORTING_REQUESTED) return;
    const prev = this.state;
    this.state = PAGE_REPORTING_REQUESTED;
    // ACTIVE: the running pass sees REQUESTED at its end and reschedules.
    if (prev !== PAGE_REPORTING_IDLE) return;
    // Delay the start of work to allow a sizable queue to build.
    this.timer = this.scheduler.schedule(this.delayNs, this.step);
  }

  unregister(): void {
    if (!this.live) return;
    this.live = false;
    this.area.onFreeNotify(null);
    registered.delete(this.area);
    // cancel_delayed_work_sync(): a pending start is cancelled; a pass waiting on the device finishes.
    if (this.pass === null && this.timer !== null) {
      this.timer.cancel();
      this.timer = null;
      this.state = PAGE_REPORTING_IDLE;
    }
  }

  /** The workqueue callback: start a pass, or resume the one waiting for the device. */
  private runStep(): void {
    this.timer = null;
    if (this.pass === null) this.pass = this.process();
    const r = this.pass.next();
    if (r.done === true) {
      this.pass = null;
      return;
    }
    this.timer = this.scheduler.schedule(r.value, this.step);
  }

  /** page_reporting_process(). */
  private *process(): Generator<number, void, void> {
    // Anyone requesting during the pass moves the state back to REQUESTED.
    this.state = PAGE_REPORTING_ACTIVE;
    this.counters.passes++;
    // kmalloc_array + sg_init_table once per pass.
    sgInitTable(this.sgl, 0, PAGE_REPORTING_CAPACITY);
    this.counters.sgInits++;
    this.counters.sgInitEntries += PAGE_REPORTING_CAPACITY;
    const nrZones = this.area.nrZones;
    for (let zone = 0; zone < nrZones; zone++) {
      if (this.area.zoneManagedPages(zone) === 0) continue;
      const err = yield* processZone(this, zone);
      if (err !== 0) break;
    }
    // cmpxchg(ACTIVE -> IDLE); if REQUESTED meanwhile, run again in 2 s.
    if (this.state === PAGE_REPORTING_ACTIVE) {
      this.state = PAGE_REPORTING_IDLE;
    } else if (this.live) {
      this.timer = this.scheduler.schedule(this.delayNs, this.step);
    } else {
      this.state = PAGE_REPORTING_IDLE;
    }
  }
}

/**
 * page_reporting_register(): create the reporter, hook the allocator's free notification and
 * request an initial pass (it runs `delayNs` later on the simulated clock).
 *
 * @throws MmError BAD_CONFIG if the area cannot tell merged blocks (no buddyOrder), EINVAL for a
 *   bad order or delay, BUSY if the area already has a reporter.
 * @see mm/page_reporting.c page_reporting_register
 */
export function createPageReporting(options: PageReportingOptions): PageReporting {
  return new Reporter(options);
}

/** The internal pass context of a reporter, for the invariant checker. @internal */
export function passContextOf(r: PageReporting): PassContext {
  if (!(r instanceof Reporter)) throw new MmError("EINVAL", "not a reporter made by createPageReporting");
  return r;
}
