/**
 * page_owner_stacks bookkeeping (6.9+): a prepend-only list of stacks and, per stack, the number of
 * base pages currently allocated from it (the depot record's refcount minus 1).
 * Kernel: mm/page_owner.c add_stack_record_to_list, inc_stack_record_count, dec_stack_record_count.
 */
export class StackCounts {
  /** handle -> index into `handles` / `cnt`. */
  private readonly index = new Map<number, number>();
  /** Handles in insertion order; the kernel's list head is the last one. */
  private readonly handles: number[] = [];
  /** nr_base_pages per index (refcount - 1). */
  private cnt = new Int32Array(64);
  /** One-entry cache: consecutive allocations mostly share a stack. */
  private lastHandle = 0;
  private lastIndex = -1;

  constructor(private readonly log: (line: string) => void) {}

  /** Put a stack in the list with count 0 (dummy and failure at init: refcount set to 1). */
  seed(handle: number): void {
    if (handle !== 0 && !this.index.has(handle)) this.add(handle);
  }

  /** inc_stack_record_count: the first use joins the list (SATURATED -> 1), then += nr. */
  inc(handle: number, nr: number): void {
    if (handle === 0) return; // no stack_record
    let i = handle === this.lastHandle ? this.lastIndex : this.index.get(handle);
    if (i === undefined) i = this.add(handle);
    this.lastHandle = handle;
    this.lastIndex = i;
    this.cnt[i] += nr;
  }

  /** dec_stack_record_count: -= nr; warns when the refcount reaches 0 (an imbalance). */
  dec(handle: number, nr: number): void {
    if (handle === 0) return;
    const i = handle === this.lastHandle ? this.lastIndex : this.index.get(handle);
    if (i === undefined) return; // still REFCOUNT_SATURATED: refcount_sub on it is a no-op
    this.cnt[i] -= nr;
    if (this.cnt[i] + 1 === 0) this.log(`dec_stack_record_count: refcount went to 0 for ${handle >>> 0} handle`);
  }

  /** nr_base_pages, or undefined when the stack is not in the list. */
  count(handle: number): number | undefined {
    const i = this.index.get(handle);
    return i === undefined ? undefined : this.cnt[i];
  }

  /** Number of stacks in the list. */
  get size(): number {
    return this.handles.length;
  }

  /** Visit the list from its head (newest first), as the seq_file iterator does. */
  forEach(fn: (handle: number, count: number) => void): void {
    for (let i = this.handles.length - 1; i >= 0; i--) fn(this.handles[i], this.cnt[i]);
  }

  private add(handle: number): number {
    const i = this.handles.length;
    if (i === this.cnt.length) {
      const grown = new Int32Array(i * 2);
      grown.set(this.cnt);
      this.cnt = grown;
    }
    this.handles.push(handle);
    this.index.set(handle, i);
    return i;
  }
}
