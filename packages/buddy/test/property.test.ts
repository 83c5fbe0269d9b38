/**
 * Property tests: random operation streams against a simple oracle (a map of the blocks we own),
 * with the full invariant checker after every operation. Bad operations must throw MmError with
 * the right code and leave every byte of state unchanged.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  __GFP_COMP,
  __GFP_DMA,
  __GFP_NORETRY,
  __GFP_NOWARN,
  __GFP_RECLAIMABLE,
  GFP_ATOMIC_6_1,
  GFP_HIGHUSER_MOVABLE,
  GFP_KERNEL,
  GFP_NOWAIT,
  isMmError,
  MAX_NR_ZONES,
  MIGRATE_TYPES,
  MR_COMPACTION,
} from "@mm/api";
import { type BuddyMachine, createBuddyArena, PB_HEAD, createMachine, EAGAIN, ENOMEM, EBUSY, type MachineOptions } from "@mm/buddy";

/** FNV-1a over every byte of page state and the zone counters: equal hashes, equal state. */
function stateHash(m: BuddyMachine): string {
  let h = 0x811c9dc5;
  for (const a of [m.flags, m.refcount, m.order, m.next, m.prev, m.pageblockMt, m.nrFreeArr]) {
    const w = new Int32Array(a.buffer, a.byteOffset, a.byteLength >> 2);
    for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w[i], 0x01000193);
    const tail = new Uint8Array(a.buffer, a.byteOffset + (w.length << 2), a.byteLength & 3);
    for (let i = 0; i < tail.length; i++) h = Math.imul(h ^ tail[i], 0x01000193);
  }
  const z = m.zones.map((x) => [x.freePages, x.freeCmaPages, x.managed, x.nrReservedHighatomic, x.watermarkBoost, x.wmarkMin]);
  return `${h >>> 0}:${JSON.stringify(z)}`;
}

interface Block {
  pfn: number;
  order: number;
  refs: number;
  compound: boolean;
}

const GFPS = [
  GFP_KERNEL,
  GFP_HIGHUSER_MOVABLE,
  GFP_KERNEL | __GFP_RECLAIMABLE,
  GFP_ATOMIC_6_1,
  GFP_NOWAIT,
  GFP_HIGHUSER_MOVABLE | __GFP_COMP,
  GFP_KERNEL | __GFP_COMP | __GFP_NORETRY,
  GFP_KERNEL | __GFP_DMA,
].map((g) => g | __GFP_NOWARN);

/** The oracle: the blocks we own, and which pfns they cover. */
class Oracle {
  readonly blocks: Block[] = [];
  readonly isolated: { pfn: number; order: number }[] = [];
  readonly owner: Int32Array;
  constructor(readonly m: BuddyMachine) {
    this.owner = new Int32Array(m.nrPfns).fill(-1);
  }
  add(b: Block): void {
    for (let p = b.pfn; p < b.pfn + (1 << b.order); p++) {
      if (this.owner[p] !== -1) throw new Error(`pfn ${p} handed out twice`);
      this.owner[p] = b.pfn;
    }
    this.blocks.push(b);
  }
  release(pfn: number, order: number): void {
    for (let p = pfn; p < pfn + (1 << order); p++) this.owner[p] = -1;
  }
  remove(i: number): void {
    this.blocks[i] = this.blocks[this.blocks.length - 1];
    this.blocks.pop();
  }
  pages(): number {
    let n = 0;
    for (const b of this.blocks) n += 1 << b.order;
    for (const b of this.isolated) n += 1 << b.order;
    return n;
  }
  /** The oracle's view agrees with the machine's counters. */
  check(): void {
    this.m.checkInvariants();
    const free = this.m.freePagesTotal();
    const pcp = this.m.pcpPages(); // 0 without per-cpu lists
    if (free + pcp + this.pages() !== this.m.totalramPages()) throw new Error(`free ${free} + pcp ${pcp} + ours ${this.pages()} != totalram`);
    let listed = 0;
    for (let z = 0; z < MAX_NR_ZONES; z++) for (let o = 0; o <= this.m.maxOrder; o++) listed += this.m.nrFree(z, o) << o;
    if (listed !== free) throw new Error(`lists hold ${listed}, NR_FREE_PAGES ${free}`);
  }
}

type Op =
  | { k: "alloc"; order: number; gfp: number }
  | { k: "free" | "get" | "put" | "split" | "migrate" | "putback" | "report"; i: number; x: number }
  | { k: "isolate"; zone: number; order: number; mt: number }
  | { k: "bad"; kind: number; i: number; x: number }
  | { k: "contig"; i: number }
  | { k: "cpu"; x: number }
  | { k: "drain"; x: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 30, arbitrary: fc.record({ k: fc.constant("alloc" as const), order: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 10 })), gfp: fc.constantFrom(...GFPS) }) },
  { weight: 24, arbitrary: fc.record({ k: fc.constant("free" as const), i: fc.nat(), x: fc.nat() }) },
  { weight: 5, arbitrary: fc.record({ k: fc.constantFrom("get" as const, "put" as const, "split" as const, "migrate" as const), i: fc.nat(), x: fc.nat() }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant("isolate" as const), zone: fc.nat({ max: 2 }), order: fc.nat({ max: 10 }), mt: fc.nat({ max: MIGRATE_TYPES - 1 }) }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constantFrom("putback" as const, "report" as const), i: fc.nat(), x: fc.nat() }) },
  { weight: 6, arbitrary: fc.record({ k: fc.constant("bad" as const), kind: fc.nat({ max: 7 }), i: fc.nat(), x: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("contig" as const), i: fc.nat() }) },
);

/** The same streams with CPU switches, drains and kswapd's ZONE_RECLAIM_ACTIVE, for machines with pcp lists. */
const pcpOpArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 90, arbitrary: opArb },
  { weight: 6, arbitrary: fc.record({ k: fc.constant("cpu" as const), x: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant("drain" as const), x: fc.nat() }) },
);

/** Expect `fn` to throw MmError with one of `codes` and leave the state byte-identical. */
function expectRejected(m: BuddyMachine, codes: string[], fn: () => void): void {
  const before = stateHash(m);
  let err: unknown = null;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  if (!isMmError(err) || !codes.includes(err.code)) throw new Error(`expected MmError ${codes.join("|")}, got ${String(err)}`);
  if (stateHash(m) !== before) throw new Error(`${err.code} changed the state`);
}

function run(opts: MachineOptions, ops: Op[]): void {
  const m = createMachine(opts);
  const o = new Oracle(m);
  const cma = opts.cma !== undefined ? m.zones.flatMap((z) => (z.cmaPages > 0 ? [z] : [])) : [];
  for (const op of ops) {
    const n = o.blocks.length;
    switch (op.k) {
      case "alloc": {
        const pfn = m.allocPages(op.order, op.gfp);
        if (pfn >= 0) o.add({ pfn, order: op.order, refs: 1, compound: (op.gfp & __GFP_COMP) !== 0 && op.order > 0 });
        break;
      }
      case "free": {
        if (n === 0) break;
        const b = o.blocks[op.i % n];
        m.freePages(b.pfn, b.order);
        if (--b.refs === 0) {
          o.release(b.pfn, b.order);
          o.remove(op.i % n);
        } else if (!b.compound && b.order > 0) {
          // __free_pages with another reference: the tail parts go now, page 0 stays.
          o.release(b.pfn + 1, 0);
          for (let k = 1; k < b.order; k++) o.release(b.pfn + (1 << k), k);
          b.order = 0;
        }
        break;
      }
      case "get": {
        if (n === 0) break;
        const b = o.blocks[op.i % n];
        m.getPage(b.pfn + (b.compound ? op.x % (1 << b.order) : 0));
        b.refs++;
        break;
      }
      case "put": {
        if (n === 0) break;
        const b = o.blocks[op.i % n];
        if (b.refs === 1 && !b.compound && b.order > 0) {
          expectRejected(m, ["EINVAL"], () => m.putPage(b.pfn));
          break;
        }
        m.putPage(b.pfn);
        if (--b.refs === 0) {
          o.release(b.pfn, b.order);
          o.remove(op.i % n);
        }
        break;
      }
      case "split": {
        if (n === 0) break;
        const b = o.blocks[op.i % n];
        if (b.compound) {
          expectRejected(m, ["EINVAL"], () => m.splitPage(b.pfn, b.order));
          break;
        }
        m.splitPage(b.pfn, b.order);
        for (let k = 1; k < 1 << b.order; k++) {
          o.blocks.push({ pfn: b.pfn + k, order: 0, refs: 1, compound: false });
        }
        b.order = 0;
        break;
      }
      case "migrate": {
        if (n === 0) break;
        const b = o.blocks[op.i % n];
        const expected = 1 + (op.x % 2);
        const r = m.migratePage(b.pfn, MR_COMPACTION, { expectedRefs: expected, gfp: GFP_HIGHUSER_MOVABLE | __GFP_NOWARN | (b.compound ? __GFP_COMP : 0) });
        if (b.refs !== expected) expect(r).toBe(-EAGAIN);
        else if (r === -ENOMEM) break;
        else {
          expect(r).toBeGreaterThanOrEqual(0);
          o.release(b.pfn, b.order);
          o.remove(op.i % n);
          o.add({ ...b, pfn: r });
        }
        break;
      }
      case "isolate": {
        const pfn = m.freeListFirst(op.zone, op.order, op.mt);
        if (pfn < 0) break;
        if (m.isolateFreePage(pfn, op.order)) {
          o.isolated.push({ pfn, order: op.order });
          for (let p = pfn; p < pfn + (1 << op.order); p++) o.owner[p] = pfn;
        }
        break;
      }
      case "putback":
      case "report": {
        if (o.isolated.length === 0) break;
        const i = op.i % o.isolated.length;
        const b = o.isolated[i];
        o.isolated.splice(i, 1);
        o.release(b.pfn, b.order);
        m.putbackIsolatedPage(b.pfn, b.order, m.pageblockMigratetype(b.pfn));
        // page_reporting_drain: mark it Reported only if it stayed an unmerged block.
        if (op.k === "report" && m.buddyOrder(b.pfn) === b.order) {
          m.setReported(b.pfn);
          expect(m.isReported(b.pfn)).toBe(true);
        }
        break;
      }
      case "contig": {
        if (cma.length === 0) break;
        const z = cma[0];
        const base = z.endPfn - z.cmaPages;
        const start = base + ((op.i % (z.cmaPages >> 9)) << 9);
        const end = start + 512;
        // Our blocks in the range may move (migration): take them out of the oracle first.
        const cands: Block[] = [];
        for (let i = o.blocks.length - 1; i >= 0; i--) {
          const b = o.blocks[i];
          if (b.pfn < end && b.pfn + (1 << b.order) > start) {
            cands.push({ ...b });
            o.release(b.pfn, b.order);
            o.remove(i);
          }
        }
        const r = m.allocContigRange(start, end);
        if (r !== 0) expect(r).toBe(-EBUSY);
        const moved: Block[] = [];
        for (const b of cands) {
          const stayed = r !== 0 && m.isAllocated(b.pfn) && m.order[b.pfn] === b.order && m.pageCount(b.pfn) === b.refs;
          if (stayed) o.add(b);
          else moved.push(b);
        }
        if (r === 0) for (let p = start; p < end; p++) o.add({ pfn: p, order: 0, refs: 1, compound: false });
        // Allocated heads nobody in the oracle owns are the migration targets.
        const orphans: number[] = [];
        for (let p = 0; p < m.nrPfns; p++) if (m.isAllocated(p) && o.owner[p] === -1) orphans.push(p);
        expect(orphans.length).toBe(moved.length);
        for (const p of orphans) {
          const b = moved.find((x) => x.order === m.order[p] && x.refs === m.pageCount(p) && x.compound === ((m.flags[p] & PB_HEAD) !== 0));
          expect(b).toBeDefined();
          moved.splice(moved.indexOf(b!), 1);
          o.add({ ...b!, pfn: p });
        }
        break;
      }
      case "cpu":
        m.setCpu(op.x % m.cpus);
        // kswapd balancing the zone caps pcp->high at 4 batches (nr_pcp_high)
        m.setZoneReclaimActive(op.x % 3, (op.x & 8) !== 0);
        break;
      case "drain": {
        const before = m.pcpPages();
        const zone = op.x % 4 === 3 ? undefined : op.x % 3;
        const n = m.drainAllPages(zone);
        expect(m.pcpPages(zone)).toBe(0);
        expect(before - m.pcpPages()).toBe(n);
        break;
      }
      case "bad": {
        const b = n > 0 ? o.blocks[op.i % n] : null;
        switch (op.kind) {
          case 0: {
            // A page we do not own: free/put/get are refused (double free, never allocated, ...).
            const p = m.startPfn + (op.x % (m.endPfn - m.startPfn));
            if (o.owner[p] !== -1) break;
            expectRejected(m, ["DOUBLE_FREE", "NOT_ALLOCATED", "PFN_IN_HOLE"], () => m.freePages(p, 0));
            expectRejected(m, ["PUT_ON_FREE_PAGE", "NOT_ALLOCATED", "PFN_IN_HOLE"], () => m.putPage(p));
            break;
          }
          case 1:
            if (b !== null) expectRejected(m, ["WRONG_ORDER", "BAD_ORDER"], () => m.freePages(b.pfn, (b.order + 1 + (op.x % 10)) % 12));
            break;
          case 2:
            expectRejected(m, ["PFN_OUT_OF_RANGE"], () => m.freePages(m.endPfn + (op.x % 1000), 0));
            break;
          case 3: {
            const hole = 160 + (op.x % 96);
            if (!m.isPresent(hole)) expectRejected(m, ["PFN_IN_HOLE"], () => m.freePages(hole, 0));
            break;
          }
          case 4:
            if (b !== null) expectRejected(m, ["NOT_FREE_BLOCK"], () => m.isolateFreePage(b.pfn, b.order));
            break;
          case 5:
            if (b !== null && b.order > 0 && !b.compound) expectRejected(m, ["NOT_ALLOCATED"], () => m.freePages(b.pfn + 1, 0));
            break;
          case 6:
            if (b !== null) expectRejected(m, ["NOT_ISOLATED"], () => m.putbackIsolatedPage(b.pfn, b.order, 0));
            break;
          case 7:
            expectRejected(m, ["BAD_ORDER"], () => m.allocPages(11 + (op.x % 3), GFP_KERNEL));
            break;
        }
        break;
      }
    }
    o.check();
  }
}

const SEED = 0x5eed;

describe("property: random operation streams against the oracle", () => {
  // An 8 MiB machine with holes, reserved pages and the x86 DMA zone only: the checker is cheap.
  it("DMA-only machine with holes: 60 runs x 1000 operations", () => {
    const opts: MachineOptions = {
      ranges: [
        { startPfn: 1, endPfn: 159 },
        { startPfn: 256, endPfn: 2048 },
      ],
      reserved: [{ startPfn: 1, endPfn: 20 }],
    };
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1000, maxLength: 1000 }), (ops) => run(opts, ops)),
      { seed: SEED, numRuns: Number(process.env.PROP_RUNS ?? 60), endOnFailure: true },
    );
  });

  it("DMA + DMA32 with a CMA area and alloc_contig_range: 12 runs x 1500 operations", () => {
    const opts: MachineOptions = { memoryBytes: 24 << 20, cma: { nrPages: 1024 } };
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1500, maxLength: 1500 }), (ops) => run(opts, ops)),
      { seed: SEED + 1, numRuns: Number(process.env.PROP_RUNS ?? 12), endOnFailure: true },
    );
  });

  it("with per-cpu lists (2 CPUs), DMA-only with holes: 20 runs x 1000 operations", () => {
    const opts: MachineOptions = {
      ranges: [
        { startPfn: 1, endPfn: 159 },
        { startPfn: 256, endPfn: 2048 },
      ],
      reserved: [{ startPfn: 1, endPfn: 20 }],
      pcp: true,
      cpus: 2,
    };
    fc.assert(
      fc.property(fc.array(pcpOpArb, { minLength: 1000, maxLength: 1000 }), (ops) => run(opts, ops)),
      { seed: SEED + 2, numRuns: Number(process.env.PROP_RUNS ?? 20), endOnFailure: true },
    );
  });

  it("with per-cpu lists (3 CPUs), a CMA area and alloc_contig_range: 6 runs x 1500 operations", () => {
    const opts: MachineOptions = { memoryBytes: 24 << 20, cma: { nrPages: 1024 }, pcp: true, cpus: 3 };
    fc.assert(
      fc.property(fc.array(pcpOpArb, { minLength: 1500, maxLength: 1500 }), (ops) => run(opts, ops)),
      { seed: SEED + 3, numRuns: Number(process.env.PROP_RUNS ?? 6), endOnFailure: true },
    );
  });

  it("generic arena against a byte-range oracle: 40 runs x 600 operations", () => {
    const ops = fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 5000 }), fc.nat()), { minLength: 600, maxLength: 600 });
    fc.assert(
      fc.property(ops, (list) => {
        const a = createBuddyArena({ size: 100 * 64, minBlock: 64 });
        const live: [number, number][] = [];
        for (const [isAlloc, bytes, i] of list) {
          if (isAlloc || live.length === 0) {
            const off = a.alloc(bytes);
            if (off >= 0) {
              const size = a.sizeOf(off);
              expect(size).toBeGreaterThanOrEqual(bytes);
              expect(off % size).toBe(0);
              for (const [o2, s2] of live) expect(off + size <= o2 || o2 + s2 <= off).toBe(true);
              live.push([off, size]);
            } else {
              // Failure only when no free block is big enough.
              expect(a.largestFreeBlock()).toBeLessThan(Math.max(64, 2 ** Math.ceil(Math.log2(bytes))));
            }
          } else {
            const [off] = live.splice(i % live.length, 1)[0];
            a.free(off);
          }
          a.check();
          expect(a.freeBytes() + live.reduce((s, [, z]) => s + z, 0)).toBe(100 * 64);
        }
      }),
      { seed: SEED + 2, numRuns: Number(process.env.PROP_RUNS ?? 40), endOnFailure: true },
    );
  });

  it("operation count: at least 10^5 per run of this file", () => {
    expect(60 * 1000 + 12 * 1500 + 40 * 600).toBeGreaterThanOrEqual(100_000);
  });
});
