/**
 * A virtio-balloon free page reporting device and the host memory behind the guest.
 * Kernel counterpart: drivers/virtio/virtio_balloon.c virtballoon_free_page_report() and the
 * VMM side (QEMU virtio_balloon_handle_report: discard the ranges, then complete the buffer).
 */
import { type AllocHooks, MmError, type Order, type Pfn, PAGE_SHIFT } from "@mm/api";
import { PAGE_REPORTING_CAPACITY, type ReportDevice } from "../api.js";
import { type Scatterlist, sgChainLength } from "../scatterlist.js";

/** -ENOSPC: virtballoon_probe refuses a reporting_vq shorter than PAGE_REPORTING_CAPACITY. */
const ENOSPC = -28;

/** Options of createVirtioBalloon(). Costs are simulated time, chosen to be plausible, not measured. */
export interface VirtioBalloonOptions {
  /** Guest pfns 0 .. nrPages - 1 exist. */
  readonly nrPages: number;
  /** Fixed cost of one report(): add to the virtqueue, kick (VM exit), host wake-up, completion interrupt. @defaultValue 100_000 (100 µs) */
  readonly perRequestNs?: number;
  /** Host cost per MiB reported (madvise(MADV_DONTNEED) / fallocate punch hole, EPT invalidation). @defaultValue 1_000_000 (1 ms/MiB) */
  readonly perMiBNs?: number;
  /** Cost of the guest's first touch of a discarded page (EPT fault, host zero-fill). @defaultValue 2_000 (2 µs) */
  readonly refaultNsPerPage?: number;
  /** reporting_vq size; below PAGE_REPORTING_CAPACITY the probe fails with -ENOSPC. @defaultValue 32 (QEMU) */
  readonly vqSize?: number;
  /**
   * Error injection: called with the 0-based report() call index, returns 0 or a negative errno
   * (virtqueue_add_inbuf failing). @defaultValue none
   */
  readonly injectError?: (call: number) => number;
}

/** The device plus its host-side accounting. */
export interface VirtioBalloon extends ReportDevice {
  /** Guest pages the host holds memory for. */
  readonly hostResidentPages: number;
  /** Guest pages whose host memory is discarded (reported and not touched since). */
  readonly discardedPages: number;
  /** report() calls, failed ones included. */
  readonly reports: number;
  /** Pages handed over in successful reports (a page reported twice counts twice). */
  readonly reportedPages: number;
  /** Pages the guest touched after the host discarded them, and what those faults cost. */
  readonly refaultPages: number;
  readonly refaultNs: number;
  /** Simulated time the device spent processing reports. */
  readonly busyNs: number;
  /** Is this guest page discarded on the host? */
  isDiscarded(pfn: Pfn): boolean;
  /**
   * The guest touches a block it just allocated: discarded pages fault back in (counted, costed).
   * @returns the simulated ns of the refaults.
   */
  touch(pfn: Pfn, order: Order): number;
  /** Allocator hooks that call touch() on every allocation (post_alloc_hook). */
  readonly hooks: AllocHooks;
}

function nonNegative(name: string, v: number): number {
  if (!(Number.isFinite(v) && v >= 0)) throw new MmError("EINVAL", `${name} ${v} must be a finite number >= 0`);
  return v;
}

/**
 * Create the device. report() validates the scatterlist the way virtqueue_add() walks it (the
 * chain from `start` must end exactly after `nents` entries), discards the pages on the host and
 * returns perRequestNs + MiB * perMiBNs, the time the worker waits in wait_event().
 *
 * @throws MmError EINVAL for bad numbers, BAD_CONFIG for a reporting_vq shorter than the capacity.
 */
export function createVirtioBalloon(options: VirtioBalloonOptions): VirtioBalloon {
  const nrPages = options.nrPages;
  if (!Number.isInteger(nrPages) || nrPages < 1) throw new MmError("EINVAL", `nrPages ${nrPages} must be a positive integer`);
  const perRequestNs = nonNegative("perRequestNs", options.perRequestNs ?? 100_000);
  const perMiBNs = nonNegative("perMiBNs", options.perMiBNs ?? 1_000_000);
  const refaultNsPerPage = nonNegative("refaultNsPerPage", options.refaultNsPerPage ?? 2_000);
  const vqSize = options.vqSize ?? 32;
  if (vqSize < PAGE_REPORTING_CAPACITY) {
    throw new MmError("BAD_CONFIG", `reporting_vq has ${vqSize} descriptors, fewer than ${PAGE_REPORTING_CAPACITY}`, { errno: ENOSPC });
  }
  const injectError = options.injectError ?? null;
  // 1 byte per guest page: 1 = the host discarded its backing memory.
  const discarded = new Uint8Array(nrPages);
  const nsPerPage = perMiBNs / (1 << (20 - PAGE_SHIFT));
  // Every guest page starts resident: the guest has touched all of its memory.
  let nrDiscarded = 0;
  let reports = 0;
  let reportedPages = 0;
  let refaultPages = 0;
  let refaultNs = 0;
  let busyNs = 0;

  function touch(pfn: Pfn, order: Order): number {
    const end = Math.min(pfn + 2 ** order, nrPages);
    let n = 0;
    for (let p = pfn; p < end; p++) {
      if (discarded[p] === 1) {
        discarded[p] = 0;
        n++;
      }
    }
    if (n === 0) return 0;
    nrDiscarded -= n;
    refaultPages += n;
    const ns = n * refaultNsPerPage;
    refaultNs += ns;
    return ns;
  }

  return {
    get hostResidentPages() {
      return nrPages - nrDiscarded;
    },
    get discardedPages() {
      return nrDiscarded;
    },
    get reports() {
      return reports;
    },
    get reportedPages() {
      return reportedPages;
    },
    get refaultPages() {
      return refaultPages;
    },
    get refaultNs() {
      return refaultNs;
    },
    get busyNs() {
      return busyNs;
    },
    isDiscarded: (pfn: Pfn) => discarded[pfn] === 1,
    touch,
    hooks: { postAlloc: (pfn: Pfn, order: Order) => void touch(pfn, order) },
    report(sgl: Scatterlist, start: number, nents: number): number {
      // virtqueue_add() walks the chain to its end marker; a mismatch would be a guest bug.
      const chain = sgChainLength(sgl, start);
      if (chain !== nents || nents < 1 || nents > vqSize) {
        throw new MmError("BAD_STATE", `report of ${nents} entries from ${start}, but the chain holds ${chain}`, { start, nents, chain });
      }
      let pages = 0;
      for (let i = start; i < start + nents; i++) {
        const pfn = sgl.pfn[i];
        const n = 2 ** sgl.order[i];
        if (pfn + n > nrPages) throw new MmError("PFN_OUT_OF_RANGE", `reported block ${pfn}+${n} beyond ${nrPages} pages`, { pfn });
        pages += n;
      }
      const call = reports++;
      if (injectError !== null) {
        const err = injectError(call);
        if (err < 0) return err;
      }
      // All checks passed: discard on the host.
      for (let i = start; i < start + nents; i++) {
        const pfn = sgl.pfn[i];
        const end = pfn + 2 ** sgl.order[i];
        for (let p = pfn; p < end; p++) nrDiscarded += 1 - discarded[p];
        discarded.fill(1, pfn, end);
      }
      reportedPages += pages;
      const ns = Math.round(perRequestNs + pages * nsPerPage);
      busyNs += ns;
      return ns;
    },
  };
}
