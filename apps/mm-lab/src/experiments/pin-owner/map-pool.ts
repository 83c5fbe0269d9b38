/**
 * The pin-owner map's seeds on worker threads: one batched pass per seed (every cell of the map
 * shares that seed's workload), `jobs` passes at a time, results kept in seed order so the map is
 * the same whatever the number of workers. One job runs in this thread.
 */
import { MmError } from "@mm/api";
import { startModuleWorker } from "../../sweep/pool.js";
import type { PinOwnerConfig, ReadResult } from "./run.js";

export interface MapSeedTask {
  readonly index: number;
  readonly config: PinOwnerConfig;
  readonly seed: number;
  readonly ids: readonly string[] | undefined;
}

export type MapSeedReply = { readonly index: number; readonly rows: ReadResult[] } | { readonly index: number; readonly error: string };

/** Each seed's rows, in the order of `seeds`; `inline` runs one seed in this thread (jobs <= 1). */
export async function runMapSeeds(
  config: PinOwnerConfig,
  seeds: readonly number[],
  ids: readonly string[] | undefined,
  jobs: number,
  inline: (seed: number) => ReadResult[],
  onSeed?: () => void,
): Promise<ReadResult[][]> {
  const out: ReadResult[][] = new Array<ReadResult[]>(seeds.length);
  if (jobs <= 1 || seeds.length <= 1) {
    seeds.forEach((s, i) => {
      out[i] = inline(s);
      onSeed?.();
    });
    return out;
  }
  const ext = import.meta.url.endsWith(".ts") ? "ts" : "js";
  const module = new URL(`./map-worker.${ext}`, import.meta.url);
  let next = 0;
  let failure = null as string | null;
  await new Promise<void>((resolve) => {
    let live = Math.min(jobs, seeds.length);
    const n = live;
    for (let w = 0; w < n; w++) {
      const worker = startModuleWorker(module);
      const finish = (): void => {
        void worker.terminate();
        if (--live === 0) resolve();
      };
      const feed = (): void => {
        if (failure !== null || next >= seeds.length) return finish();
        const index = next++;
        worker.postMessage({ index, config, seed: seeds[index], ids } satisfies MapSeedTask);
      };
      worker.on("message", (r: MapSeedReply) => {
        if ("error" in r) {
          failure ??= r.error;
          return finish();
        }
        out[r.index] = r.rows;
        onSeed?.();
        feed();
      });
      worker.on("error", (e: Error) => {
        failure ??= e.message;
        finish();
      });
      feed();
    }
  });
  if (failure !== null) throw new MmError("BAD_STATE", `pin-owner map: ${failure}`);
  return out;
}
