/**
 * page_owner's invariants and census, from a read-only view of its state.
 * @see mm/page_owner.c (PAGE_EXT_OWNER / PAGE_EXT_OWNER_ALLOCATED usage, stack_list counts 6.9+)
 */
import { MAX_PAGE_ORDER, MIGRATE_REASON_NAMES, MmError } from "@mm/api";
import { PAGE_EXT_OWNER, PAGE_EXT_OWNER_ALLOCATED } from "@mm/page-ext";
import { OWNER_BITS, type OwnerCore } from "./owner-core.js";

/** What census() counts. */
export interface OwnerCensus {
  readonly owned: number;
  readonly allocated: number;
  /** Allocated pages with dummy_handle (page_owner's and the depot's own pages). */
  readonly dummy: number;
  /** Allocated pages with failure_handle. */
  readonly failure: number;
  /** Allocated pages with early_handle. */
  readonly early: number;
}

/**
 * Pages by state, counted over every pfn with page_ext: owned (PAGE_EXT_OWNER), allocated, and
 * allocated pages carrying each special handle.
 */
export function ownerCensus(s: Readonly<OwnerCore>): OwnerCensus {
  const out = { owned: 0, allocated: 0, dummy: 0, failure: 0, early: 0 };
  if (!s.inited) return out;
  const n = s.pageExt.nrPages;
  const flags = s.flags;
  const alloc = s.alloc;
  const handle = s.a.handle;
  const { dummyHandle, failureHandle, earlyHandle } = s;
  for (let pfn = 0; pfn < n; pfn++) {
    const f = flags[pfn];
    if ((f & (1 << PAGE_EXT_OWNER)) === 0) continue;
    out.owned++;
    if ((f & (1 << PAGE_EXT_OWNER_ALLOCATED)) === 0) continue;
    out.allocated++;
    const h = handle[alloc[pfn]];
    if (h === 0) continue;
    if (h === dummyHandle) out.dummy++;
    else if (h === failureHandle) out.failure++;
    else if (h === earlyHandle) out.early++;
  }
  return out;
}

/**
 * ALLOCATED implies OWNER; orders and migrate reasons in range; handles of owned pages non-zero
 * under depot storage (unless the depot failed at init); 6.9+ stack counts equal the allocated,
 * non-early base pages carrying each handle; every record's page count equals the pages pointing
 * at it, and the records on a free list are exactly those no page points at. @throws MmError INVARIANT
 */
export function checkOwnerInvariants(s: Readonly<OwnerCore>): void {
  if (!s.inited) return;
  const fail = (msg: string): never => {
    throw new MmError("INVARIANT", `page_owner: ${msg}`);
  };
  const n = s.pageExt.nrPages;
  const a = s.a;
  const expect = new Map<number, number>();
  const aRefs = new Uint32Array(a.used);
  const fRefs = new Uint32Array(s.f.used);
  for (let pfn = 0; pfn < n; pfn++) {
    const ar = s.alloc[pfn];
    const fr = s.free[pfn];
    if (ar >= a.used || fr >= s.f.used) fail(`pfn ${pfn} points past the record tables (${ar}, ${fr})`);
    aRefs[ar]++;
    fRefs[fr]++;
    if (!s.pageExt.hasPageExt(pfn)) continue;
    const f = s.flags[pfn];
    if ((f & OWNER_BITS) === 1 << PAGE_EXT_OWNER_ALLOCATED) fail(`pfn ${pfn} allocated but not owned`);
    if ((f & (1 << PAGE_EXT_OWNER)) === 0) continue;
    if (s.order[pfn] > MAX_PAGE_ORDER) fail(`pfn ${pfn} order ${s.order[pfn]}`);
    const r = a.reason[ar];
    if (r < -1 || r >= MIGRATE_REASON_NAMES.length) fail(`pfn ${pfn} migrate reason ${r}`);
    if (!s.inline && a.handle[ar] === 0 && s.earlyHandle !== 0 && s.dummyHandle !== 0 && s.failureHandle !== 0)
      fail(`pfn ${pfn} owned with handle 0`);
    if (s.inline && a.nrEntries[ar] > 8) fail(`pfn ${pfn} has ${a.nrEntries[ar]} inline frames`);
    if (s.counts !== null && (f & (1 << PAGE_EXT_OWNER_ALLOCATED)) !== 0) {
      const h = a.handle[ar];
      if (h !== s.earlyHandle && h !== 0) expect.set(h, (expect.get(h) ?? 0) + 1);
    }
  }
  checkTable("allocation", a.refs, aRefs, a.freeRecords(), fail);
  checkTable("free", s.f.refs, fRefs, s.f.freeRecords(), fail);
  const counts = s.counts;
  if (counts !== null) {
    for (const [h, c] of expect) if (counts.count(h) !== c) fail(`stack ${h} counts ${counts.count(h)}, pages say ${c}`);
    counts.forEach((h, c) => {
      if ((expect.get(h) ?? 0) !== c) fail(`stack ${h} counts ${c}, pages say ${expect.get(h) ?? 0}`);
    });
  }
}

/** Page counts of one record table against a recount, and its free list against the unused records. */
function checkTable(what: string, refs: Uint32Array, recount: Uint32Array, free: Uint32Array, fail: (m: string) => never): void {
  const onFree = new Uint8Array(recount.length);
  for (const r of free) {
    if (r === 0 || r >= recount.length || onFree[r] !== 0) fail(`${what} record ${r} on the free list twice or out of range`);
    onFree[r] = 1;
  }
  for (let r = 1; r < recount.length; r++) {
    if (refs[r] !== recount[r]) fail(`${what} record ${r} counts ${refs[r]} pages, ${recount[r]} point at it`);
    if ((recount[r] === 0) !== (onFree[r] === 1)) fail(`${what} record ${r} with ${recount[r]} pages is ${onFree[r] ? "" : "not "}on the free list`);
  }
}
