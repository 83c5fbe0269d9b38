// The C tool's block list itself, kept only when --cull compares pids or tgids.
//
// compare_pid/compare_tgid return `l1->pid - l2->pid` in int: when the values seen span more than
// INT_MAX (a missing pid is -1, a huge one wraps to INT_MIN) the difference overflows, the order is
// not transitive, and glibc's merge sort no longer puts equal blocks next to each other, so the
// merge of neighbours leaves one value in several groups. Grouping by hash cannot show that; this
// log replays the C algorithm on the list instead. It stores per list entry only a variant id (the
// distinct combination of the fields the output and the second sort can see) and its counts, so a
// --cull=pid run over a big dump costs 12 bytes per block, not a copy of it.

import { glibcQsort } from "../internal/libc.js";
import {
  CMP_ALLOCATOR,
  CMP_COMM,
  CMP_FREE_TS,
  CMP_PID,
  CMP_STACKTRACE,
  CMP_TGID,
  CMP_TS,
  CMP_TXT,
  CULL_PID,
  CULL_TGID,
  FILTER_COMM,
  FILTER_PID,
  FILTER_TGID,
  type CompatConfig,
} from "./config.js";
import type { CompatGroup } from "./sorter.js";

const INT_MAX = 0x7fff_ffff;

export class EntryLog {
  private variantOf = new Int32Array(1024);
  private num = new Int32Array(1024);
  private pageNum = new Int32Array(1024);
  private size = 0;
  private readonly variants: CompatGroup[] = [];
  private readonly variantIndex = new Map<string, number>();
  private minPid = Infinity;
  private maxPid = -Infinity;
  private minTgid = Infinity;
  private maxTgid = -Infinity;
  private readonly fields: { pid: boolean; tgid: boolean; comm: boolean; txt: boolean; ts: boolean; freeTs: boolean; allocator: boolean };

  /** A log for this configuration, or null when its cull key cannot overflow. */
  static forConfig(cfg: CompatConfig): EntryLog | null {
    return cfg.cull & (CULL_PID | CULL_TGID) ? new EntryLog(cfg) : null;
  }

  private constructor(private readonly cfg: CompatConfig) {
    const has = (id: number): boolean => cfg.sortCmps.includes(id);
    this.fields = {
      pid: (cfg.filter & FILTER_PID) !== 0 || has(CMP_PID),
      tgid: (cfg.filter & FILTER_TGID) !== 0 || has(CMP_TGID),
      comm: (cfg.filter & FILTER_COMM) !== 0 || has(CMP_COMM),
      txt: has(CMP_TXT) || has(CMP_STACKTRACE),
      ts: has(CMP_TS),
      freeTs: has(CMP_FREE_TS),
      allocator: has(CMP_ALLOCATOR),
    };
  }

  /** A new list entry: `rep` holds its fields (num/pageNum are taken from the arguments). */
  push(groupKey: string, rep: CompatGroup, pageNum: number): void {
    const f = this.fields;
    let key = groupKey;
    if (f.pid) key += `\0${rep.pid}`;
    if (f.tgid) key += `\0${rep.tgid}`;
    if (f.comm) key += `\0${rep.comm}`;
    if (f.txt) key += `\0${rep.txt}`;
    if (f.ts) key += `\0${rep.tsNsec}`;
    if (f.freeTs) key += `\0${rep.freeTsNsec}`;
    if (f.allocator) key += `\0${rep.allocator}`;
    let v = this.variantIndex.get(key);
    if (v === undefined) {
      v = this.variants.length;
      this.variants.push(rep);
      this.variantIndex.set(key, v);
    }
    if (this.size === this.variantOf.length) this.grow();
    this.variantOf[this.size] = v;
    this.num[this.size] = 1;
    this.pageNum[this.size] = pageNum;
    this.size++;
    if (rep.pid < this.minPid) this.minPid = rep.pid;
    if (rep.pid > this.maxPid) this.maxPid = rep.pid;
    if (rep.tgid < this.minTgid) this.minTgid = rep.tgid;
    if (rep.tgid > this.maxTgid) this.maxTgid = rep.tgid;
  }

  /** 6.1's merge of an identical neighbour into the last entry. */
  bumpLast(pageNum: number): void {
    const i = this.size - 1;
    this.num[i] = (this.num[i] + 1) | 0;
    this.pageNum[i] = (this.pageNum[i] + pageNum) | 0;
  }

  /** True when some pid or tgid difference the cull compares can overflow an int. */
  get overflows(): boolean {
    const c = this.cfg.cull;
    return (c & CULL_PID && this.maxPid - this.minPid > INT_MAX) || (c & CULL_TGID && this.maxTgid - this.minTgid > INT_MAX) ? true : false;
  }

  /** main()'s first qsort and its merge of neighbours, over the list itself. */
  mergedList(compareCull: (a: CompatGroup, b: CompatGroup) => number): CompatGroup[] {
    const order = new Int32Array(this.size);
    for (let i = 0; i < order.length; i++) order[i] = i;
    const vs = this.variants;
    const vo = this.variantOf;
    glibcQsort(order, (a, b) => compareCull(vs[vo[a]], vs[vo[b]]));
    const out: CompatGroup[] = [];
    for (const e of order) {
      const last = out.length === 0 ? null : out[out.length - 1];
      const rep = vs[vo[e]];
      if (last === null || compareCull(last, rep) !== 0) out.push({ ...rep, num: this.num[e], pageNum: this.pageNum[e] });
      else {
        last.num = (last.num + this.num[e]) | 0;
        last.pageNum = (last.pageNum + this.pageNum[e]) | 0;
      }
    }
    return out;
  }

  private grow(): void {
    const n = this.variantOf.length * 2;
    const g = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.variantOf = g(this.variantOf);
    this.num = g(this.num);
    this.pageNum = g(this.pageNum);
  }
}
