/**
 * The alternative the review proposed (seed 001, David Hildenbrand): (a) trace the pfn of every
 * migration failure, (b) trace every unref of every page (optionally only the CMA area, as a tracefs
 * pfn filter), and join the two in user space afterwards. In today's kernel (b) is the page_ref
 * tracepoints (CONFIG_DEBUG_PAGE_REF: page_ref_mod_and_test for put_page_testzero, page_ref_mod
 * for get_page) with options/stacktrace; (a) is modelled with the RFC's report_page_pinners event.
 * No page_ext is needed: every put pays instead.
 */
import { type AllocHooks, MmError, type Pfn } from "@mm/api";
import { EV_FAIL, EV_REF_GET, EV_REF_PUT, type HookSubscriber, type TraceAllOptions, type TracerStats } from "./api.js";
import { TracerBase } from "./internal/tracer-base.js";

export class TraceAll extends TracerBase {
  private readonly lo: number;
  private readonly hi: number;
  /** After `refilter`: the only pfns traced (a few), else null. */
  private only: Float64Array | null = null;
  readonly hooks: AllocHooks;

  constructor(options: TraceAllOptions) {
    super(options);
    const r = options.pfnRange ?? null;
    if (r !== null && (!Number.isInteger(r.startPfn) || !Number.isInteger(r.endPfn) || r.startPfn < 0 || r.endPfn < r.startPfn))
      throw new MmError("BAD_CONFIG", `bad pfn range [${r.startPfn}, ${r.endPfn})`);
    this.lo = r === null ? 0 : r.startPfn;
    this.hi = r === null ? Number.MAX_SAFE_INTEGER : r.endPfn;
    const hooks: AllocHooks = {
      put: (pfn, count) => this.put(pfn, count),
      migrateFail: (pfn, reason, err) => this.migrateFail(pfn, reason, err),
    };
    if (options.traceGets ?? false) hooks.get = (pfn, count) => this.get(pfn, count);
    this.hooks = hooks;
  }

  /** Subscribe every hook (the tracepoints are on for the whole run). */
  attach(subscribe: HookSubscriber): () => void {
    return subscribe(this.hooks);
  }

  /**
   * David's policy once a failure is known: rewrite the page_ref events' filter to
   * `pfn == a || pfn == b ...` (the failed pfns), so only their references are traced from now on;
   * null restores the range filter. Takes effect for the events after the call.
   * @throws MmError EINVAL for a pfn that is not a non-negative integer (the filter is unchanged)
   */
  refilter(pfns: readonly Pfn[] | null): void {
    if (pfns === null) {
      this.only = null;
      return;
    }
    for (const p of pfns) if (!Number.isInteger(p) || p < 0) throw new MmError("EINVAL", `bad pfn ${p} in filter`);
    this.only = Float64Array.from(new Set(pfns));
  }

  /** The pfns of the current `refilter`, or null for the range filter. */
  get refilteredPfns(): readonly number[] | null {
    return this.only === null ? null : Array.from(this.only);
  }

  private passes(pfn: Pfn): boolean {
    const only = this.only;
    if (only === null) return pfn >= this.lo && pfn < this.hi;
    for (let i = 0; i < only.length; i++) if (only[i] === pfn) return true;
    return false;
  }

  /** page_ref_mod_and_test on every put_page_testzero that passes the pfn filter. */
  put(pfn: Pfn, count: number): void {
    this.puts++;
    if (this.passes(pfn)) this.emitPage(EV_REF_PUT, pfn, count, -1, 0);
  }

  /** page_ref_mod on every get_page that passes the pfn filter. */
  get(pfn: Pfn, count: number): void {
    this.gets++;
    if (this.passes(pfn)) this.emitPage(EV_REF_GET, pfn, count, -1, 0);
  }

  /** (a): the pfn of every migration failure, whatever the reason (join filters later). */
  migrateFail(pfn: Pfn, reason: number, err: number): void {
    this.failures++;
    this.emitPage(EV_FAIL, pfn, this.pages.pageCount(pfn), reason, err);
  }

  stats(): TracerStats {
    return { puts: this.puts, gets: this.gets, failures: this.failures, events: this.events, stacks: this.stacks, armed: 0, armings: 0, disarmings: 0 };
  }

  checkInvariants(): void {
    this.sink.checkInvariants();
    this.failSink?.checkInvariants();
  }
}

export function createTraceAll(options: TraceAllOptions): TraceAll {
  return new TraceAll(options);
}
