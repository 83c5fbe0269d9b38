export interface Allocator {
  alloc(order: number, mt: number): number;
  free(pfn: number, order: number): void;
}
export interface WorkloadResult {
  ops: number;
  secs: number;
  digest: number;
  fails?: number;
}
export declare const N_PAGES: number;
export declare const WORKLOADS: Record<"order0" | "order0_batch" | "mixed", (a: Allocator, iters: number) => WorkloadResult>;
export declare const FULL_ITERS: Record<"order0" | "order0_batch" | "mixed", number>;
export declare function buddyAllocator(mod: unknown, api: unknown): Allocator & { machine: { checkInvariants(): unknown } };
export declare function naiveAllocator(createZone: unknown): Allocator;
