/**
 * The workload driver: plays a Workload's arrivals on a Sim against any allocator through a tiny
 * interface (no dependency on @mm/buddy), and records the event sequence a workload produces.
 */
import { MmError, type Gfp, type Order } from "@mm/api";
import type { Prng } from "./prng.js";
import type { Sim } from "./sim.js";
import type { SimTask } from "./tasks.js";
import { sampleDist, type Arrival, type RefStream, type Workload } from "./workload.js";
/** What a workload drives: any page allocator, or a fake. */
export interface WorkloadTarget {
  /** Allocate 2^order pages. @returns an id >= 0 (e.g. the pfn), or -1 on failure. */
  allocate(order: Order, gfp: Gfp): number;
  /** Free what allocate() returned. */
  free(id: number, order: Order): void;
  /** Take a transient reference (get_page). Needed only with `refs`. */
  get?(id: number): void;
  /** Drop it (put_page). */
  put?(id: number): void;
}

/** Counters of a driver run. */
export interface DriverStats {
  arrivals: number;
  allocated: number;
  failed: number;
  freed: number;
  /** Allocations currently live (allocated and not yet freed by the driver). */
  live: number;
  /** Pages currently live (sum of 2^order). */
  livePages: number;
  /** get/put pairs started. */
  refs: number;
}

/** Options of `createWorkloadDriver`. */
export interface DriverOptions {
  /** Task for sites without `comm`. @defaultValue whatever is current when the event runs */
  task?: SimTask;
  /** Called after every allocate() (id -1 on failure), inside the task and stack context. */
  onAlloc?: (arrival: Readonly<Arrival>, id: number) => void;
}

/** Initial live-table capacity. */
const LIVE_INITIAL = 256;

/**
 * Plays a Workload on a Sim: one pending arrival event at a time (no closure per event), one
 * `scheduleCall` per finite-lifetime allocation for its free, transient get/put pairs if the
 * workload has `refs`. Allocation runs as the site's task with the site's trace pushed; free
 * runs as the same task with `freeTrace` pushed.
 */
export class WorkloadDriver {
  readonly stats: DriverStats = { arrivals: 0, allocated: 0, failed: 0, freed: 0, live: 0, livePages: 0, refs: 0 };
  private readonly siteTraces: Uint32Array[];
  private readonly siteFreeTraces: Uint32Array[];
  private readonly siteTasks: (SimTask | undefined)[];
  private readonly arrival: Arrival = { seq: 0, atNs: 0, site: 0, order: 0, gfp: 0, lifetimeNs: 0 };
  private readonly onArrivalBound: (arg: number) => void;
  private readonly onFreeBound: (slot: number) => void;
  private readonly onRefBound: (arg: number) => void;
  private readonly onPutBound: (slot: number) => void;
  /** Live table (struct of arrays by slot). */
  private ids = new Float64Array(LIVE_INITIAL);
  private orders = new Uint8Array(LIVE_INITIAL);
  private sitesOf = new Uint16Array(LIVE_INITIAL);
  private freeTokens = new Float64Array(LIVE_INITIAL);
  /** Holds outstanding transient refs per slot (a freed slot with refs is not reused until they drop). */
  private holds = new Uint32Array(LIVE_INITIAL);
  /** Slot -> position in `liveList`, -1 if not live. */
  private livePos = new Int32Array(LIVE_INITIAL).fill(-1);
  /** Live slots, dense, in an order that depends only on the event sequence. */
  private liveList = new Int32Array(LIVE_INITIAL);
  private freeSlots: number[] = [];
  private usedSlots = 0;
  /** Pending arrival token, or -1. */
  private arrivalToken = -1;
  private refToken = -1;
  /** sim time of the first start(), -1 before. */
  private startNs = -1;
  private readonly refsPrng: Prng | undefined;
  private running = false;

  constructor(
    private readonly sim: Sim,
    private readonly workload: Workload,
    private readonly target: WorkloadTarget,
    private readonly options: DriverOptions = {},
  ) {
    if (workload.refs !== undefined && (typeof target.get !== "function" || typeof target.put !== "function")) {
      throw new MmError("BAD_CONFIG", "workload has refs but the target has no get/put");
    }
    if (workload.sites.length > 0xffff) throw new MmError("BAD_CONFIG", "too many sites");
    this.siteTraces = workload.sites.map((s) => sim.symbols.trace(s.trace));
    this.siteFreeTraces = workload.sites.map((s) => sim.symbols.trace(s.freeTrace));
    this.siteTasks = workload.sites.map(() => undefined);
    this.onArrivalBound = () => this.onArrival();
    this.onFreeBound = (slot) => this.onFree(slot);
    this.onRefBound = () => this.onRef();
    this.onPutBound = (slot) => this.onPut(slot);
    this.refsPrng = workload.refs !== undefined ? workload.refsPrng() : undefined;
  }

  /**
   * Start generating arrivals; workload times are relative to the first start(). After stop(),
   * start() resumes the same sequence (arrivals already due run at once).
   * @throws MmError BAD_STATE if already running.
   */
  start(): void {
    if (this.running) throw new MmError("BAD_STATE", "driver already started");
    this.running = true;
    if (this.startNs < 0) this.startNs = this.sim.now();
    this.scheduleNextArrival();
    this.scheduleNextRef();
  }

  /** Stop generating arrivals and refs; already scheduled frees and puts still happen. */
  stop(): void {
    if (this.arrivalToken >= 0) this.sim.cancel(this.arrivalToken);
    if (this.refToken >= 0) this.sim.cancel(this.refToken);
    this.arrivalToken = -1;
    this.refToken = -1;
    this.running = false;
  }

  /** Whether arrivals are still being generated. */
  get active(): boolean {
    return this.arrivalToken >= 0;
  }

  /** Free every live allocation now, oldest slot first (cancels their scheduled frees). */
  freeAll(): void {
    for (let slot = 0; slot < this.usedSlots; slot++) {
      if (this.livePos[slot] < 0) continue;
      if (this.freeTokens[slot] >= 0) this.sim.cancel(this.freeTokens[slot]);
      this.onFree(slot);
    }
  }

  /** Call fn(id, order, site) for each live allocation in slot order. */
  forEachLive(fn: (id: number, order: Order, site: number) => void): void {
    for (let slot = 0; slot < this.usedSlots; slot++) {
      if (this.livePos[slot] >= 0) fn(this.ids[slot], this.orders[slot], this.sitesOf[slot]);
    }
  }

  /** The task a site runs as (spawning it on first use). */
  taskFor(site: number): SimTask {
    const s = this.workload.sites[site];
    if (s.comm === undefined) return this.options.task ?? this.sim.current();
    let t = this.siteTasks[site];
    if (t === undefined || !t.alive) {
      // one task per distinct comm, shared by the sites naming it
      for (let i = 0; i < this.siteTasks.length; i++) {
        const o = this.siteTasks[i];
        if (o !== undefined && o.alive && this.workload.sites[i].comm === s.comm) t = o;
      }
      if (t === undefined || !t.alive) t = this.sim.spawn({ comm: s.comm, kthread: s.kthread });
      this.siteTasks[site] = t;
    }
    return t;
  }

  private scheduleNextArrival(): void {
    const a = this.arrival;
    if (!this.workload.next(a)) {
      this.arrivalToken = -1;
      this.running = false;
      if (this.refToken >= 0) this.sim.cancel(this.refToken);
      this.refToken = -1;
      return;
    }
    const at = Math.max(this.startNs + a.atNs, this.sim.now());
    this.arrivalToken = this.sim.queue.scheduleCallAt(at, this.onArrivalBound, 0);
  }

  private scheduleNextRef(): void {
    const refs = this.workload.refs;
    if (refs === undefined || this.refsPrng === undefined || this.arrivalToken < 0) return;
    const gap = Math.round(this.refsPrng.exponential(1e9 / refs.ratePerSec));
    this.refToken = this.sim.scheduleCall(gap, this.onRefBound, 0);
  }

  private onArrival(): void {
    this.arrivalToken = -1;
    const a = this.arrival;
    const site = a.site;
    const task = this.taskFor(site);
    const tasks = this.sim.tasks;
    const prev = tasks.current();
    tasks.setCurrent(task);
    const depth = task.depth;
    try {
      task.pushTrace(this.siteTraces[site]);
      const id = this.target.allocate(a.order, a.gfp);
      this.stats.arrivals++;
      if (id >= 0) {
        this.stats.allocated++;
        this.stats.live++;
        this.stats.livePages += 2 ** a.order;
        const slot = this.allocSlot();
        this.ids[slot] = id;
        this.orders[slot] = a.order;
        this.sitesOf[slot] = site;
        this.freeTokens[slot] = a.lifetimeNs === Infinity ? -1 : this.sim.scheduleCall(a.lifetimeNs, this.onFreeBound, slot);
        this.addLive(slot);
      } else {
        this.stats.failed++;
      }
      if (this.options.onAlloc !== undefined) this.options.onAlloc(a, id);
    } finally {
      task.unwindTo(depth);
      if (prev.alive) tasks.setCurrent(prev);
    }
    if (this.running) this.scheduleNextArrival();
  }

  private onFree(slot: number): void {
    const site = this.sitesOf[slot];
    const task = this.taskFor(site);
    const tasks = this.sim.tasks;
    const prev = tasks.current();
    tasks.setCurrent(task);
    const depth = task.depth;
    const order = this.orders[slot];
    this.freeTokens[slot] = -1;
    this.removeLive(slot);
    this.stats.live--;
    this.stats.livePages -= 2 ** order;
    this.stats.freed++;
    try {
      task.pushTrace(this.siteFreeTraces[site]);
      this.target.free(this.ids[slot], order);
    } finally {
      task.unwindTo(depth);
      if (prev.alive) tasks.setCurrent(prev);
      if (this.holds[slot] === 0) this.freeSlots.push(slot);
    }
  }

  private onRef(): void {
    this.refToken = -1;
    const n = this.stats.live;
    const prng = this.refsPrng as Prng;
    const refs = this.workload.refs as RefStream;
    if (n > 0) {
      const slot = this.liveList[prng.below(n)];
      const hold = sampleDist(prng, refs.holdNs);
      (this.target.get as (id: number) => void)(this.ids[slot]);
      this.holds[slot]++;
      this.stats.refs++;
      this.sim.scheduleCall(Number.isFinite(hold) ? Math.round(hold) : 0, this.onPutBound, slot);
    }
    this.scheduleNextRef();
  }

  private onPut(slot: number): void {
    (this.target.put as (id: number) => void)(this.ids[slot]);
    this.holds[slot]--;
    if (this.holds[slot] === 0 && this.livePos[slot] < 0) this.freeSlots.push(slot);
  }

  private allocSlot(): number {
    const s = this.freeSlots.pop();
    if (s !== undefined) return s;
    if (this.usedSlots === this.ids.length) this.grow();
    return this.usedSlots++;
  }

  private addLive(slot: number): void {
    const i = this.stats.live - 1;
    this.liveList[i] = slot;
    this.livePos[slot] = i;
  }

  /** Swap-remove from the dense live list. */
  private removeLive(slot: number): void {
    const i = this.livePos[slot];
    const last = this.stats.live - 1;
    const moved = this.liveList[last];
    this.liveList[i] = moved;
    this.livePos[moved] = i;
    this.livePos[slot] = -1;
  }

  private grow(): void {
    const c = this.ids.length * 2;
    const ids = new Float64Array(c);
    ids.set(this.ids);
    this.ids = ids;
    const orders = new Uint8Array(c);
    orders.set(this.orders);
    this.orders = orders;
    const sites = new Uint16Array(c);
    sites.set(this.sitesOf);
    this.sitesOf = sites;
    const tok = new Float64Array(c);
    tok.set(this.freeTokens);
    this.freeTokens = tok;
    const holds = new Uint32Array(c);
    holds.set(this.holds);
    this.holds = holds;
    const pos = new Int32Array(c).fill(-1);
    pos.set(this.livePos);
    this.livePos = pos;
    const list = new Int32Array(c);
    list.set(this.liveList);
    this.liveList = list;
  }
}

/** A driver playing `workload` on `sim` against `target`. Call `start()`, then run the sim. */
export function createWorkloadDriver(
  sim: Sim,
  workload: Workload,
  target: WorkloadTarget,
  options: DriverOptions = {},
): WorkloadDriver {
  return new WorkloadDriver(sim, workload, target, options);
}

/** One event of a recorded workload run. */
export interface WorkloadEvent {
  kind: "alloc" | "free";
  atNs: number;
  /** Arrival seq (the id the recording allocator handed out). */
  seq: number;
  site: number;
  order: Order;
  gfp: Gfp;
}

/**
 * The event sequence a workload produces against an allocator that never fails: allocs and frees
 * in the exact order the driver issues them (ties by scheduling order). At most `maxArrivals`
 * arrivals; frees of those that fall before `untilNs` are included.
 */
export function recordWorkload(workload: Workload, options: { sim: Sim; maxArrivals?: number; untilNs?: number }): WorkloadEvent[] {
  const { sim } = options;
  const maxArrivals = options.maxArrivals ?? Infinity;
  const events: WorkloadEvent[] = [];
  const meta: { site: number; gfp: Gfp }[] = [];
  const target: WorkloadTarget = {
    allocate: () => meta.length,
    free: (id, order) => {
      events.push({ kind: "free", atNs: sim.now(), seq: id, site: meta[id].site, order, gfp: meta[id].gfp });
    },
    get: () => undefined,
    put: () => undefined,
  };
  const driver = createWorkloadDriver(sim, workload, target, {
    onAlloc: (a, id) => {
      meta.push({ site: a.site, gfp: a.gfp });
      events.push({ kind: "alloc", atNs: sim.now(), seq: id, site: a.site, order: a.order, gfp: a.gfp });
      if (meta.length >= maxArrivals) driver.stop();
    },
  });
  if (maxArrivals > 0) driver.start();
  if (options.untilNs !== undefined) sim.runUntil(options.untilNs);
  else sim.runAll();
  return events;
}
