/**
 * Wiring of page_owner as the kernel has it: the buddy machine calls page_owner's hooks, page_owner
 * saves stacks to a stackdepot whose pools come from the same buddy machine (so pool allocations
 * re-enter page_owner: seed 000's recursion, for real), and page_ext tables are taken out of the
 * machine's free memory at boot. Used by the `page-owner` experiment and its tests.
 */
import { GFP_KERNEL, MmError, PAGES_PER_SECTION, PG_reserved } from "@mm/api";
import { type BuddyMachine, createMachine } from "@mm/buddy";
import { createPageExt, type PageExt, pagesMemory, type PagesMemory, type PfnRange } from "@mm/page-ext";
import {
  createPageOwner,
  depotStorage,
  inlineStorage,
  mixedBlockCounts,
  type OwnerEra,
  type OwnerMemoryView,
  type OwnerZone,
  type PageOwner,
  stackScanGuard,
  taskFlagGuard,
} from "@mm/page-owner";
import { bootPreset, createSim, createWorkload, createWorkloadDriver, type Sim, type SimTask } from "@mm/sim";
import { createStackDepot, type DepotEra, type StackDepot } from "@mm/stackdepot";

/** Which recursion guard. */
export type GuardName = "stack-scan" | "task-flag";
/** Which storage. */
export type StorageName = "inline8" | "depot";

export interface OwnerSystemConfig {
  /** RAM of the machine (one usable range from pfn 0). @defaultValue 4 GiB */
  readonly memoryBytes?: number;
  /** Usable ranges instead of memoryBytes (holes allowed). */
  readonly ranges?: readonly PfnRange[];
  /** @defaultValue "6.1" */
  readonly era?: OwnerEra;
  /** @defaultValue the era's (inline8 for v4.6, else depot) */
  readonly storage?: StorageName;
  /** @defaultValue the era's (stack-scan up to v4.7, task-flag from 6.1) */
  readonly guard?: GuardName;
  /** `page_owner=on`. @defaultValue true */
  readonly enabled?: boolean;
  readonly seed?: number;
  /**
   * Pages allocated before page_ext/page_owner init besides page_ext's own tables.
   * @defaultValue 542 (inferred from the 6.1 fixture: 1574 early pages - 1024 page_ext pages - two depot pools)
   */
  readonly earlyPages?: number;
  /** Pool cap of the depot. @defaultValue the depot era's */
  readonly depotMaxPools?: number;
  /** page_owner's trace -> handle memo in front of the depot. @defaultValue true */
  readonly traceMemo?: boolean;
}

export interface OwnerSystem {
  readonly sim: Sim;
  readonly machine: BuddyMachine;
  readonly pageExt: PageExt;
  readonly tables: PagesMemory;
  readonly owner: PageOwner;
  /** null with inline storage. */
  readonly depot: StackDepot | null;
  readonly view: OwnerMemoryView;
  /** kernel_init (pid 1, "swapper/0"), current during boot. */
  readonly init: SimTask;
  /** dmesg lines, in order. */
  readonly dmesg: string[];
  /** Free pages right before page_ext_init and right after page_owner's init. */
  readonly freeBefore: number;
  readonly freeAfter: number;
  /** /proc/pagetypeinfo with page_owner's mixed-block counts. */
  pagetypeinfo(): string;
}

/** The depot's handle/record era that goes with a page_owner era. */
export function depotEraFor(era: OwnerEra): DepotEra {
  switch (era) {
    case "v4.6":
    case "v4.7":
      return "v4.7";
    case "6.1":
      return "v6.1";
    case "6.10":
    case "6.19":
      return "current";
  }
}

/** page_owner's view of the buddy machine (struct page, zones, pageblocks). */
export function machineView(m: BuddyMachine): OwnerMemoryView {
  const zones: OwnerZone[] = m.populatedZones().map((z) => ({ node: 0, zone: z.idx, name: z.name, startPfn: z.startPfn, endPfn: z.endPfn }));
  const sectionShift = Math.log2(PAGES_PER_SECTION);
  const reserved = 1 << PG_reserved;
  return {
    startPfn: m.startPfn,
    endPfn: m.endPfn,
    zones,
    // pfn_valid(): the section has a memmap (holes inside a present section are reserved pages).
    pfnValid: (pfn) => pfn >= m.startPfn && pfn < m.endPfn && m.sectionOnline[pfn >>> sectionShift] === 1,
    buddyOrder: (pfn) => m.buddyOrder(pfn),
    pageReserved: (pfn) => (m.pageFlags(pfn) & reserved) !== 0,
    pageFlags: (pfn) => m.pageFlags(pfn),
    pageZone: (pfn) => m.zoneOf(pfn),
    pageNode: () => 0,
    pageblockMigratetype: (pfn) => m.pageblockMigratetype(pfn),
  };
}

/** The frames kernel_init runs page_ext_init / init_page_owner from (the 6.1 fixture's). */
const INIT_FRAMES = ["kernel_init_freeable+0x13c/0x26b", "kernel_init+0x11/0x110", "ret_from_fork+0x22/0x30"];
/** A plausible stack for the early allocations (they all print the early stack anyway). */
const EARLY_FRAMES = ["get_page_from_freelist+0x41c/0xf00", "__alloc_pages+0x1d7/0x330", "alloc_pages+0x90/0x1a0"];

/**
 * Boot a machine with page_ext and page_owner: buddy up, early allocations, page_ext_init (tables
 * from the buddy allocator, the `allocated N bytes of page_ext` line), init_page_owner (special
 * handles, early pages, the per-zone lines).
 * @throws MmError BAD_CONFIG for an inconsistent configuration.
 */
export function bootOwnerSystem(config: OwnerSystemConfig = {}): OwnerSystem {
  const era = config.era ?? "6.1";
  const storage = config.storage ?? (era === "v4.6" ? "inline8" : "depot");
  const guardName = config.guard ?? (era === "v4.6" || era === "v4.7" ? "stack-scan" : "task-flag");
  if (storage !== "inline8" && storage !== "depot") throw new MmError("BAD_CONFIG", `unknown storage ${String(storage)}`);
  if (guardName !== "stack-scan" && guardName !== "task-flag") throw new MmError("BAD_CONFIG", `unknown guard ${String(guardName)}`);
  const sim = createSim({ seed: config.seed ?? 1 });
  const dmesg: string[] = [];
  const log = (line: string): void => {
    dmesg.push(line);
  };
  const init = sim.spawn({ comm: "swapper/0", kthread: true });
  init.pushTrace(sim.symbols.trace(INIT_FRAMES));
  sim.setCurrent(init);
  const memoryBytes = config.memoryBytes ?? 4 * 2 ** 30;
  const machine = createMachine({
    ...(config.ranges !== undefined ? { ranges: config.ranges } : { memoryBytes }),
    clock: sim,
    tasks: sim,
    log,
    seed: config.seed ?? 1,
  });
  const view = machineView(machine);
  // Boot-time allocations made before page_ext exists (untracked: they become early pages).
  const early = config.earlyPages ?? 542;
  sim.withFrames(init, EARLY_FRAMES, () => {
    for (let i = 0; i < early; i++) if (machine.allocPages(0, GFP_KERNEL) < 0) throw new MmError("NOMEM", "machine too small for the early pages");
  });
  const freeBefore = machine.freePagesTotal();
  const depot =
    storage === "depot"
      ? createStackDepot({
          era: depotEraFor(era),
          pageSource: machine,
          kernelPages: machine.totalramPages(),
          log,
          ...(config.depotMaxPools !== undefined ? { maxPools: config.depotMaxPools } : {}),
        })
      : null;
  const tables = pagesMemory(machine);
  const pageExt = createPageExt({
    ranges: machine.ranges,
    memory: tables,
    log,
    flagsWord: era === "v4.6" || era === "v4.7" ? "always" : "shared",
  });
  const owner = createPageOwner({
    pageExt,
    era,
    enabled: config.enabled ?? true,
    storage: depot !== null ? depotStorage(depot) : inlineStorage(),
    guard: guardName === "stack-scan" ? stackScanGuard() : taskFlagGuard(),
    tasks: sim,
    clock: sim,
    symbols: sim.symbols,
    memory: view,
    log,
    traceMemo: config.traceMemo ?? true,
  });
  // The hooks do nothing until init_page_owner flips the static key.
  machine.addHooks(owner.hooks);
  pageExt.init();
  // kernel_init_freeable moves on: later allocations by pid 1 push their own full stacks.
  init.unwindTo(0);
  const freeAfter = machine.freePagesTotal();
  const zonesByIdx = new Map(view.zones.map((z) => [z.zone, z]));
  return {
    sim,
    machine,
    pageExt,
    tables,
    owner,
    depot,
    view,
    init,
    dmesg,
    freeBefore,
    freeAfter,
    pagetypeinfo: () =>
      machine.pagetypeinfo(
        owner.inited ? (zi) => mixedBlockCounts(owner, zonesByIdx.get(zi) as OwnerZone) : undefined,
      ),
  };
}

/**
 * Run the boot-like workload of @mm/sim (`bootPreset`: real 6.1 boot call sites, mostly never
 * freed) on the system; returns allocations that succeeded and failed.
 */
export function runBootWorkload(sys: OwnerSystem, arrivals = 1927): { allocated: number; failed: number } {
  const wl = createWorkload({ ...bootPreset({ arrivals }), prng: sys.sim.prng.fork("page-owner-boot") });
  const m = sys.machine;
  const driver = createWorkloadDriver(sys.sim, wl, {
    allocate: (order, gfp) => m.allocPages(order, gfp),
    free: (pfn, order) => m.freePages(pfn, order),
  });
  driver.start();
  sys.sim.runAll();
  return { allocated: driver.stats.allocated, failed: driver.stats.failed };
}
