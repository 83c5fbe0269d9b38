/**
 * The page_ext core: clients declare, the core lays out and allocates per present section.
 * Kernel: mm/page_ext.c (6.1; need_shared_flags from 6.3) invoke_need_callbacks(), page_ext_init(),
 * init_section_page_ext().
 */
import { MmError, PAGES_PER_SECTION, type Pfn } from "@mm/api";
import type {
  FieldArrays,
  FieldKind,
  FieldSpecs,
  FlagsWordPolicy,
  PageExt,
  PageExtClient,
  PageExtMemory,
  PageExtOps,
  PageExtOptions,
  PfnRange,
  SectionTable,
} from "./api.js";
import { PAGE_EXT_FLAGS_BYTES } from "./layout.js";
import { byteCounter } from "./memory.js";

/** log2(PAGES_PER_SECTION): pfn >> SECTION_SHIFT is the section number. */
const SECTION_SHIFT = Math.log2(PAGES_PER_SECTION);

/** Typed array constructors per field kind. */
const CTORS = {
  u8: Uint8Array,
  i8: Int8Array,
  u16: Uint16Array,
  i16: Int16Array,
  u32: Uint32Array,
  i32: Int32Array,
  f64: Float64Array,
} as const satisfies Record<FieldKind, unknown>;

/** Present sections of a memory map, ascending (sparse_init: a section with any memory is present). */
export function presentSections(ranges: readonly PfnRange[]): number[] {
  const set = new Set<number>();
  for (const r of ranges) {
    if (!Number.isInteger(r.startPfn) || !Number.isInteger(r.endPfn) || r.startPfn < 0 || r.endPfn < r.startPfn)
      throw new MmError("BAD_CONFIG", `bad pfn range [${r.startPfn}, ${r.endPfn})`);
    if (r.endPfn === r.startPfn) continue;
    for (let s = r.startPfn >>> SECTION_SHIFT; s <= (r.endPfn - 1) >>> SECTION_SHIFT; s++) set.add(s);
  }
  return [...set].sort((a, b) => a - b);
}

/** One registered client and what init() decided for it. */
class Client<F extends FieldSpecs> implements PageExtClient<F> {
  offset = -1;
  enabled = false;
  flags: Uint32Array<ArrayBuffer> | null = null;
  arrays: FieldArrays<F> | null = null;
  constructor(readonly ops: PageExtOps<F>) {}
  get name(): string {
    return this.ops.name;
  }
  get size(): number {
    return this.ops.size;
  }
  get data(): FieldArrays<F> {
    if (this.arrays === null) throw new MmError("BAD_STATE", `page_ext client ${this.ops.name} is not enabled`);
    return this.arrays;
  }
}

class PageExtCore implements PageExt {
  private readonly clients: Client<FieldSpecs>[] = [];
  private readonly sectionList: number[];
  private readonly memory: PageExtMemory;
  private readonly log: (line: string) => void;
  private readonly flagsWord: FlagsWordPolicy;
  private readonly nid: number;
  /** 1 for a section with a table (section->page_ext != NULL). */
  private readonly hasTable: Uint8Array;
  inited = false;
  entrySize = 0;
  totalUsage = 0;
  tables: SectionTable[] = [];
  flags: Uint32Array<ArrayBuffer> | null = null;
  /** sizeof(struct page_ext) as accounted: 8 with the flags word, else 0. */
  private flagsBytes = 0;
  readonly nrPages: number;

  constructor(options: PageExtOptions) {
    this.sectionList = presentSections(options.ranges);
    const nrSections = this.sectionList.length === 0 ? 0 : this.sectionList[this.sectionList.length - 1] + 1;
    this.nrPages = nrSections * PAGES_PER_SECTION;
    this.hasTable = new Uint8Array(nrSections);
    this.memory = options.memory ?? byteCounter();
    this.log = options.log ?? (() => {});
    this.flagsWord = options.flagsWord ?? "shared";
    if (this.flagsWord !== "shared" && this.flagsWord !== "always")
      throw new MmError("BAD_CONFIG", `flagsWord must be "shared" or "always"`);
    this.nid = options.nid ?? 0;
  }

  register<F extends FieldSpecs>(ops: PageExtOps<F>): PageExtClient<F> {
    if (this.inited) throw new MmError("BAD_STATE", `page_ext already initialised; cannot register ${ops.name}`);
    if (!Number.isInteger(ops.size) || ops.size < 0) throw new MmError("BAD_CONFIG", `client ${ops.name}: bad size ${ops.size}`);
    if (this.clients.some((c) => c.ops.name === ops.name)) throw new MmError("BAD_CONFIG", `duplicate client ${ops.name}`);
    for (const [name, spec] of Object.entries(ops.fields)) {
      if (!(spec.kind in CTORS)) throw new MmError("BAD_CONFIG", `client ${ops.name} field ${name}: bad kind ${String(spec.kind)}`);
      const per = spec.per ?? 1;
      if (!Number.isInteger(per) || per < 1) throw new MmError("BAD_CONFIG", `client ${ops.name} field ${name}: bad per ${per}`);
    }
    const c = new Client(ops);
    this.clients.push(c);
    return c;
  }

  init(): void {
    if (this.inited) throw new MmError("BAD_STATE", "page_ext_init called twice");
    // invoke_need_callbacks(): need() is asked once per client; pass 1 decides the flags word.
    const needs = this.clients.map((c) => c.ops.need());
    const anyNeed = needs.some(Boolean);
    const flagsBytes =
      (this.flagsWord === "always" ? anyNeed : this.clients.some((c, i) => needs[i] && c.ops.needSharedFlags))
        ? PAGE_EXT_FLAGS_BYTES
        : 0;
    let size = flagsBytes;
    const offsets = this.clients.map((c, i) => {
      if (!needs[i]) return -1;
      const off = size;
      size += c.ops.size;
      return off;
    });
    if (!anyNeed) {
      // Nothing needed, nothing allocated: no tables, no line, no init callbacks.
      this.inited = true;
      return;
    }

    // page_ext_init(): one table of page_ext_size * PAGES_PER_SECTION per present section.
    const tableSize = size * PAGES_PER_SECTION;
    const tables: SectionTable[] = [];
    let total = 0;
    for (const s of this.sectionList) {
      if (tableSize > 0 && !this.memory.allocTable(tableSize, this.nid)) {
        this.log("page ext allocation failure");
        this.memory.rollback();
        throw new MmError("NOMEM", `page ext allocation failure (section ${s}, ${tableSize} bytes); the kernel panics: Out of memory`, {
          section: s,
          bytes: tableSize,
        });
      }
      tables.push({ section: s, bytes: tableSize });
      total += tableSize;
    }

    // Commit: nothing above changed this object, so a failure left it as it was.
    this.entrySize = size;
    this.totalUsage = total;
    this.tables = tables;
    for (const s of this.sectionList) this.hasTable[s] = 1;
    this.flagsBytes = flagsBytes;
    if (flagsBytes !== 0) this.flags = new Uint32Array(this.nrPages);
    this.clients.forEach((c, i) => {
      c.offset = offsets[i];
      if (!needs[i]) return;
      const arrays: Record<string, unknown> = {};
      for (const [name, spec] of Object.entries(c.ops.fields))
        arrays[name] = new CTORS[spec.kind]((spec.per ?? 1) * this.nrPages);
      c.arrays = arrays as FieldArrays<FieldSpecs>;
      c.flags = this.flags;
      c.enabled = true;
    });
    this.inited = true;
    this.log(`allocated ${total} bytes of page_ext`);
    // invoke_init_callbacks()
    for (const c of this.clients) if (c.enabled && c.ops.init) c.ops.init(c);
  }

  hasPageExt(pfn: Pfn): boolean {
    const s = pfn >>> SECTION_SHIFT;
    return pfn >= 0 && s < this.hasTable.length && this.hasTable[s] === 1;
  }

  checkInvariants(): void {
    const fail = (msg: string): never => {
      throw new MmError("INVARIANT", `page_ext: ${msg}`);
    };
    if (!this.inited) {
      if (this.tables.length !== 0 || this.totalUsage !== 0) fail("tables before init");
      return;
    }
    let sum = 0;
    let pos = this.flagsBytes;
    if ((this.flags !== null) !== (this.flagsBytes === PAGE_EXT_FLAGS_BYTES)) fail("flags array and flags bytes disagree");
    for (const c of this.clients) {
      if (!c.enabled) {
        if (c.offset !== -1 || c.arrays !== null) fail(`disabled client ${c.name} has a layout`);
        continue;
      }
      if (c.offset !== pos) fail(`client ${c.name} at offset ${c.offset}, expected ${pos}`);
      pos += c.ops.size;
      sum += c.ops.size;
      for (const [name, spec] of Object.entries(c.ops.fields)) {
        const a = (c.arrays as Record<string, { length: number }>)[name];
        if (a.length !== (spec.per ?? 1) * this.nrPages) fail(`client ${c.name} field ${name} has ${a.length} elements`);
      }
      if (c.flags !== this.flags) fail(`client ${c.name} does not share the flags word`);
    }
    if (this.entrySize !== this.flagsBytes + sum) fail(`entry size ${this.entrySize} != ${this.flagsBytes} + ${sum}`);
    // A needing client of size 0 with no flags word gives 0-byte tables, as invoke_need_callbacks
    // returns need = true with page_ext_size 0; the kernel still walks the sections.
    let total = 0;
    for (const t of this.tables) {
      if (t.bytes !== this.entrySize * PAGES_PER_SECTION) fail(`section ${t.section} table of ${t.bytes} bytes`);
      if (this.hasTable[t.section] !== 1) fail(`section ${t.section} table not marked`);
      total += t.bytes;
    }
    if (total !== this.totalUsage) fail(`total ${this.totalUsage} != sum of tables ${total}`);
    let marked = 0;
    for (let s = 0; s < this.hasTable.length; s++) marked += this.hasTable[s];
    if (marked !== this.tables.length) fail(`${marked} sections marked, ${this.tables.length} tables`);
  }
}

/**
 * Create the page_ext core for a machine's memory map. Register clients, then call init() once
 * (the kernel's page_ext_init, after the buddy allocator is up).
 * @example
 * const pe = createPageExt({ ranges: [{ startPfn: 0, endPfn: 1 << 20 }], log: console.log });
 * const owner = pe.register({ name: "page_owner", size: 56, needSharedFlags: true,
 *   fields: { handle: { kind: "u32" } }, need: () => true });
 * pe.init(); // "allocated 67108864 bytes of page_ext"
 * owner.data.handle[pfn] = h;
 */
export function createPageExt(options: PageExtOptions): PageExt {
  return new PageExtCore(options);
}
