/**
 * Selective tracing of page reference holders on unref: a page_ext flag (TRACE_UNREF, RFC v2's
 * PAGE_EXT_PIN_OWNER) armed when migration of the page fails, from any migrate_pages user, or by
 * any caller; while armed, every put (and, with the review's addition, every get) emits an event
 * with the page state and the stack; the final free disarms it.
 * Kernel: RFC v2 mm/page_pin_owner.c (report_page_pinners from unmap_and_move, the hook in
 * put_page_testzero after the decrement, reset in free_pages_prepare), kernel-spec §6.3-§6.6.
 */
import { type AllocHooks, MmError, type Order, type Pfn } from "@mm/api";
import {
  EV_FAIL,
  EV_FREE,
  EV_GET,
  EV_PUT,
  type FlagsWord,
  type HookSubscriber,
  PAGE_EXT_TRACE_UNREF,
  type ReasonFilterMode,
  type TracerStats,
  type TraceUnrefOptions,
} from "./api.js";
import { TracerBase } from "./internal/tracer-base.js";

const BIT = 1 << PAGE_EXT_TRACE_UNREF;

/** The flagged-page tracer. Create with `createTraceUnref`. */
export class TraceUnref extends TracerBase {
  private readonly words: Uint32Array;
  private readonly traceGets: boolean;
  private readonly dynamicKey: boolean;
  private readonly mode: ReasonFilterMode;
  /** 1 for reason numbers whose failures are reported (grows with registerReason). */
  private allow: Uint8Array;
  private readonly allowAll: boolean;
  private readonly allowNames: ReadonlySet<string>;
  private armedNow = 0;
  private armings = 0;
  private disarmings = 0;
  private subscribe: HookSubscriber | null = null;
  private unsubscribeHot: (() => void) | null = null;
  private unsubscribeCold: (() => void) | null = null;

  /** migrate_pages' failure path and the free path: always subscribed (free returns at once when nothing is armed). */
  readonly coldHooks: AllocHooks;
  /** get/put: subscribed while the static key is on. */
  readonly hotHooks: AllocHooks;

  constructor(options: TraceUnrefOptions) {
    super(options);
    this.words = options.flags.words;
    this.traceGets = options.traceGets ?? false;
    this.dynamicKey = options.dynamicKey ?? true;
    this.mode = options.reasonFilterMode ?? "arm";
    if (this.mode !== "arm" && this.mode !== "event") throw new MmError("BAD_CONFIG", `reasonFilterMode must be "arm" or "event"`);
    const reasons = options.reasons ?? null;
    this.allowAll = reasons === null;
    this.allowNames = new Set(reasons ?? []);
    for (const r of this.allowNames) {
      if (!this.reasons.includes(r)) throw new MmError("BAD_CONFIG", `unknown migrate reason ${JSON.stringify(r)} in filter`);
    }
    this.allow = this.buildAllow();
    // The key flips off inside freePrepare (the last armed page is freed); keeping freePrepare in
    // the cold set means we never unsubscribe from the hook array that is being walked.
    this.coldHooks = {
      migrateFail: (pfn, reason, err) => this.migrateFail(pfn, reason, err),
      freePrepare: (pfn, order) => this.freePrepare(pfn, order),
    };
    const hot: AllocHooks = { put: (pfn, count) => this.put(pfn, count) };
    if (this.traceGets) hot.get = (pfn, count) => this.get(pfn, count);
    this.hotHooks = hot;
  }

  private buildAllow(): Uint8Array {
    const a = new Uint8Array(this.reasons.length);
    for (let i = 0; i < a.length; i++) a[i] = this.allowAll || this.allowNames.has(this.reasons[i]) ? 1 : 0;
    return a;
  }

  override registerReason(name: string): number {
    const n = super.registerReason(name);
    if (n >= this.allow.length) this.allow = this.buildAllow();
    return n;
  }

  /**
   * Subscribe to an allocator. With the dynamic key, the get/put hooks are attached only while a
   * page is armed, so a machine with nothing armed pays nothing on its put path. The key is
   * switched off from inside the free hook, so the allocator must tolerate unsubscribing from
   * another hook array during a hook call.
   * @returns a function that unsubscribes everything.
   * @throws MmError BAD_STATE when already attached.
   */
  attach(subscribe: HookSubscriber): () => void {
    if (this.subscribe !== null) throw new MmError("BAD_STATE", "trace_unref is already attached");
    this.subscribe = subscribe;
    this.unsubscribeCold = subscribe(this.coldHooks);
    if (!this.dynamicKey || this.armedNow > 0) this.unsubscribeHot = subscribe(this.hotHooks);
    return () => {
      this.unsubscribeHot?.();
      this.unsubscribeCold?.();
      this.unsubscribeHot = this.unsubscribeCold = null;
      this.subscribe = null;
    };
  }

  /** Whether the put/get hooks are subscribed now (the static key). */
  get keyOn(): boolean {
    return this.unsubscribeHot !== null;
  }

  /** put_page_testzero() after the decrement: an armed page emits page_pin_owner_put. */
  put(pfn: Pfn, count: number): void {
    this.puts++;
    if ((this.words[pfn] & BIT) !== 0) this.emitPage(EV_PUT, pfn, count, -1, 0);
  }

  /** get_page() after the increment (the review's addition). */
  get(pfn: Pfn, count: number): void {
    this.gets++;
    if ((this.words[pfn] & BIT) !== 0) this.emitPage(EV_GET, pfn, count, -1, 0);
  }

  /** free_pages_prepare(): the page is finally freed; disarm every armed page of the block. */
  freePrepare(pfn: Pfn, order: Order): void {
    if (this.armedNow === 0) return;
    const words = this.words;
    const end = Math.min(pfn + (1 << order), words.length);
    for (let p = pfn; p < end; p++) {
      if ((words[p] & BIT) !== 0) {
        this.emitPage(EV_FREE, p, 0, -1, 0);
        this.clear(p);
      }
    }
  }

  /** report_page_pinners(): migration of `pfn` failed with `err` for `reason`. */
  migrateFail(pfn: Pfn, reason: number, err: number): void {
    this.failures++;
    // lookup_page_ext() == NULL or an unknown reason: nothing to do.
    if (pfn < 0 || pfn >= this.words.length || reason < 0 || reason >= this.allow.length) return;
    const pass = this.allow[reason] === 1;
    if (this.mode === "arm" && !pass) return;
    this.set(pfn);
    if (pass) this.emitPage(EV_FAIL, pfn, this.pages.pageCount(pfn), reason, err);
  }

  /**
   * Arm a page from any caller (HWPoison, "this page should have a refcount of 0"): set the flag
   * and emit the failure event with `reason` and `err`.
   * @throws MmError PFN_OUT_OF_RANGE, NOT_ALLOCATED (a free page would never be disarmed), EINVAL
   * for an unknown reason; nothing changes then.
   */
  arm(pfn: Pfn, reason: number, err = 0): void {
    this.checkPfn(pfn);
    if (!Number.isInteger(reason) || reason < 0 || reason >= this.reasons.length) throw new MmError("EINVAL", `unknown reason ${reason}`);
    if (!Number.isInteger(err)) throw new MmError("EINVAL", `err must be an integer, got ${err}`);
    const count = this.pages.pageCount(pfn);
    if (count <= 0) throw new MmError("NOT_ALLOCATED", `pfn ${pfn} is free; arming it would never be disarmed`, { pfn });
    this.set(pfn);
    this.emitPage(EV_FAIL, pfn, count, reason, err);
  }

  /** Clear the flag without an event (a caller no longer interested). @throws MmError PFN_OUT_OF_RANGE */
  disarm(pfn: Pfn): void {
    this.checkPfn(pfn);
    if ((this.words[pfn] & BIT) !== 0) this.clear(pfn);
  }

  isArmed(pfn: Pfn): boolean {
    this.checkPfn(pfn);
    return (this.words[pfn] & BIT) !== 0;
  }

  /** Pages armed now. */
  get armed(): number {
    return this.armedNow;
  }

  private checkPfn(pfn: Pfn): void {
    if (!Number.isInteger(pfn) || pfn < 0 || pfn >= this.words.length)
      throw new MmError("PFN_OUT_OF_RANGE", `pfn ${pfn} has no page_ext (0..${this.words.length})`, { pfn });
  }

  /** test_and_set_bit + static_branch_inc on the first armed page. */
  private set(pfn: Pfn): void {
    if ((this.words[pfn] & BIT) !== 0) return;
    this.words[pfn] |= BIT;
    this.armedNow++;
    this.armings++;
    if (this.armedNow === 1 && this.dynamicKey && this.subscribe !== null && this.unsubscribeHot === null) {
      this.unsubscribeHot = this.subscribe(this.hotHooks);
    }
  }

  private clear(pfn: Pfn): void {
    this.words[pfn] &= ~BIT;
    this.armedNow--;
    this.disarmings++;
    if (this.armedNow === 0 && this.dynamicKey && this.unsubscribeHot !== null) {
      const off = this.unsubscribeHot;
      this.unsubscribeHot = null;
      off();
    }
  }

  stats(): TracerStats {
    return {
      puts: this.puts,
      gets: this.gets,
      failures: this.failures,
      events: this.events,
      stacks: this.stacks,
      armed: this.armedNow,
      armings: this.armings,
      disarmings: this.disarmings,
    };
  }

  /**
   * The flag bits agree with the armed count, armed pages are allocated, the key is on iff a page is
   * armed (dynamic key), and the sink's own invariants hold.
   * @throws MmError INVARIANT
   */
  checkInvariants(): void {
    const words = this.words;
    let n = 0;
    for (let p = 0; p < words.length; p++) {
      if ((words[p] & BIT) === 0) continue;
      n++;
      if (this.pages.pageCount(p) <= 0) throw new MmError("INVARIANT", `pfn ${p} is armed but free`, { pfn: p });
    }
    if (n !== this.armedNow) throw new MmError("INVARIANT", `${n} pages flagged, armed count ${this.armedNow}`);
    if (this.armings - this.disarmings !== this.armedNow) throw new MmError("INVARIANT", "armings - disarmings != armed");
    if (this.dynamicKey && this.subscribe !== null && this.keyOn !== this.armedNow > 0)
      throw new MmError("INVARIANT", `static key ${this.keyOn ? "on" : "off"} with ${this.armedNow} armed pages`);
    this.sink.checkInvariants();
    this.failSink?.checkInvariants();
  }
}

/** Page_ext flag bookkeeping: 8 bytes a page for the shared flags word (if page_ext was not on). */
export function createTraceUnref(options: TraceUnrefOptions): TraceUnref {
  return new TraceUnref(options);
}

export type { FlagsWord };
