/**
 * The guest around @mm/buddy: oom_badness and select_bad_process (mm/oom_kill.c 6.1), the kill
 * line, page-table bytes, the page cache's two LRU lists and refaults, direct reclaim charged to
 * the allocating task, kswapd in the background, and the OOM kill that frees memory so the
 * fault is retried.
 */
import { GFP_HIGHUSER_MOVABLE, GFP_KERNEL } from "@mm/api";
import { createSim } from "@mm/sim";
import { describe, expect, it } from "vitest";
import { Guest } from "../src/experiments/reporting/guest.js";
import { BADNESS_NONE, formatOomKill, type OomCandidate, oomBadness, pgtablesBytesFor, selectBadProcess } from "../src/experiments/reporting/oom-kill.js";
import { GFP_PAGECACHE } from "../src/experiments/reporting/vmscan.js";

function cand(o: Partial<OomCandidate>): OomCandidate {
  return {
    pid: 10,
    comm: "t",
    uid: 0,
    oomScoreAdj: 0,
    unkillable: false,
    hasMm: true,
    oomSkip: false,
    anonRss: 0,
    fileRss: 0,
    shmemRss: 0,
    swapEnts: 0,
    totalVm: 0,
    pgtablesBytes: 0,
    ...o,
  };
}

describe("oom_badness and select_bad_process", () => {
  it("points = rss + swap + page-table pages + oom_score_adj * (totalpages / 1000)", () => {
    const p = cand({ anonRss: 1000, fileRss: 200, shmemRss: 5, swapEnts: 7, pgtablesBytes: 3 * 4096 + 100, oomScoreAdj: -250 });
    // totalpages / 1000 truncates: 131071 / 1000 = 131
    expect(oomBadness(p, 131071)).toBe(1000 + 200 + 5 + 7 + 3 - 250 * 131);
  });
  it("OOM_SCORE_ADJ_MIN, MMF_OOM_SKIP, no mm and unkillable tasks are never candidates", () => {
    for (const o of [{ oomScoreAdj: -1000 }, { oomSkip: true }, { hasMm: false }, { unkillable: true }]) expect(oomBadness(cand({ anonRss: 9e6, ...o }), 1000)).toBe(BADNESS_NONE);
  });
  it("the highest points win; on a tie the later task in for_each_process order", () => {
    const ts = [cand({ pid: 1, anonRss: 50 }), cand({ pid: 2, anonRss: 80 }), cand({ pid: 3, anonRss: 80 }), cand({ pid: 4, anonRss: 79 })];
    expect(selectBadProcess(ts, 1000)).toBe(2);
    expect(selectBadProcess([cand({ unkillable: true, anonRss: 5 })], 1000)).toBe(-1);
  });
  it("mm_pgtables_bytes counts PTE, PMD and PUD tables", () => {
    expect(pgtablesBytesFor(0)).toBe(0);
    expect(pgtablesBytesFor(512)).toBe(3 * 4096);
    expect(pgtablesBytesFor(513)).toBe(4 * 4096);
    expect(pgtablesBytesFor(512 * 512 + 1)).toBe((513 + 2 + 1) * 4096);
  });
  it("the kill line is __oom_kill_process's pr_err, byte for byte", () => {
    const p = cand({ pid: 5, comm: "app", anonRss: 83968, fileRss: 10, totalVm: 84186, pgtablesBytes: 679936, uid: 1000 });
    expect(formatOomKill("Out of memory", p)).toBe(
      "Out of memory: Killed process 5 (app) total-vm:336744kB, anon-rss:335872kB, file-rss:40kB, shmem-rss:0kB, UID:1000 pgtables:664kB oom_score_adj:0",
    );
  });
});

function smallGuest(mib = 64) {
  const sim = createSim({ seed: 1 });
  const g = new Guest({ memoryBytes: mib << 20, nrFiles: mib * 256, costs: { reclaimNsPerPage: 500, rereadNsPerPage: 40_000 }, sched: sim, machine: { clock: sim } });
  return { sim, g };
}

describe("page cache: two LRU lists, eviction, refaults", () => {
  it("pages read once are evicted before pages touched twice; an evicted page's next access is a refault", () => {
    const { g } = smallGuest();
    const c = g.cache;
    for (let f = 0; f < 100; f++) expect(c.access(f, GFP_PAGECACHE)).toBe(1);
    for (let f = 0; f < 10; f++) expect(c.access(f, GFP_PAGECACHE)).toBe(0); // activated
    expect(c.nrActive).toBe(10);
    expect(c.evict(50, false)).toBe(50);
    for (let f = 0; f < 10; f++) expect(c.isResident(f)).toBe(true);
    expect(c.isResident(10)).toBe(false);
    expect(c.access(10, GFP_PAGECACHE)).toBe(2);
    expect(c.stats.refaults).toBe(1);
    expect(c.isActive(10)).toBe(true); // workingset activation
    expect(c.resident).toBe(51);
    expect(() => c.access(c.nrFiles, GFP_PAGECACHE)).toThrow(/EINVAL/);
    expect(c.resident).toBe(51);
    let z = 0;
    for (const n of c.zoneResident) z += n;
    expect(z).toBe(51);
  });
});

describe("direct reclaim, kswapd and the OOM killer in the allocator's slow path", () => {
  it("an allocation below min reclaims clean page cache and charges the stall to the current task", () => {
    const { g } = smallGuest();
    const m = g.machine;
    while (m.allocPages(0, GFP_KERNEL) >= 0 && m.freePagesTotal() > 4096);
    let f = 0;
    while (f < g.cache.nrFiles && g.accessFile(null, f, GFP_PAGECACHE) > 0) f++;
    const t = g.spawn({ comm: "svc", uid: 0, oomScoreAdj: 0, vmPages: 1024, madvisedPages: 0, fileStart: 0, fileLen: 0 });
    g.takeCharge();
    const before = g.stats.directReclaimPages;
    const stall0 = g.stats.reclaimStallNs;
    expect(g.faultAnon(t, 1024)).toBe(1024);
    const reclaimed = g.stats.directReclaimPages - before;
    expect(reclaimed).toBeGreaterThan(0);
    expect(g.stats.oomKills).toBe(0);
    expect(g.takeCharge()).toBe(reclaimed * 500);
    expect(g.stats.reclaimStallNs - stall0).toBe(reclaimed * 500);
  });

  it("with nothing reclaimable the OOM killer kills the biggest task, frees its memory, and the fault is retried", () => {
    const lines: string[] = [];
    const sim = createSim({ seed: 1 });
    const g = new Guest({ memoryBytes: 64 << 20, nrFiles: 1, costs: { reclaimNsPerPage: 500, rereadNsPerPage: 1 }, sched: sim, machine: { clock: sim }, log: (l) => lines.push(l) });
    const big = g.spawn({ comm: "big", uid: 0, oomScoreAdj: 0, vmPages: 1 << 20, madvisedPages: 0, fileStart: 0, fileLen: 0 });
    g.faultAnon(big, 12000);
    const small = g.spawn({ comm: "small", uid: 0, oomScoreAdj: 0, vmPages: 1 << 20, madvisedPages: 0, fileStart: 0, fileLen: 0 });
    const held = big.anonRss;
    // the small task faults until memory runs out: the biggest task dies, the small one goes on
    const got = g.faultAnon(small, 8000);
    expect(got).toBe(8000);
    expect(g.stats.oomKills).toBe(1);
    expect(g.victims).toEqual([big.pid]);
    expect(big.killed).toBe(true);
    expect(big.anonRss).toBe(0);
    expect(held).toBeGreaterThan(0);
    expect(lines[0]).toMatch(/^Out of memory: Killed process 1 \(big\) total-vm:\d+kB, anon-rss:\d+kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:\d+kB oom_score_adj:0$/);
    expect(g.machine.checkInvariants().length).toBeGreaterThan(0);
  });

  it("the faulting task itself may be the victim: it stops faulting and its memory is freed", () => {
    const { g } = smallGuest();
    const t = g.spawn({ comm: "hog", uid: 0, oomScoreAdj: 0, vmPages: 1 << 20, madvisedPages: 0, fileStart: 0, fileLen: 0 });
    const got = g.faultAnon(t, 1 << 20);
    expect(t.killed).toBe(true);
    expect(got).toBeLessThan(1 << 20);
    expect(t.anonRss).toBe(0);
    expect(g.stats.oomKills).toBe(1);
  });

  it("kswapd runs in the background until a zone is above high, taking the time its reclaim costs", () => {
    const { sim, g } = smallGuest();
    const m = g.machine;
    let f = 0;
    while (f < g.cache.nrFiles && g.accessFile(null, f, GFP_PAGECACHE) > 0 && m.freePagesTotal() > 600) f++;
    const t = g.spawn({ comm: "a", uid: 0, oomScoreAdj: 0, vmPages: 4096, madvisedPages: 0, fileStart: 0, fileLen: 0 });
    g.faultAnon(t, 400);
    expect(g.kswapdTask.running || g.kswapdTask.wakeups > 0).toBe(true);
    const t0 = sim.now();
    sim.runAll();
    expect(g.kswapdTask.running).toBe(false);
    expect(g.kswapdTask.balanced()).toBe(true);
    expect(g.cache.stats.kswapdReclaimed).toBeGreaterThan(0);
    expect(sim.now() - t0).toBeGreaterThanOrEqual(g.cache.stats.kswapdReclaimed * 500 - 1);
    expect(m.allocPages(0, GFP_HIGHUSER_MOVABLE)).toBeGreaterThanOrEqual(0);
  });
});
