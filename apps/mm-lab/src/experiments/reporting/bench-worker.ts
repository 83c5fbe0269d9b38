/**
 * A worker thread that runs the reporting A/B on request, for the bench: it runs the experiment with
 * Node's native ESM (through tsx, as the `mm-lab` CLI does), so cross-module calls in the
 * allocator's hot paths cost what they cost in the CLI, not what a test runner's module wrapper
 * costs. Message in: the policy names; message out: the timing of that A/B.
 */
import { parentPort } from "node:worker_threads";
import { DEFAULT_AB, runAb } from "./ab.js";

/** What one A/B run in the worker took. */
export interface BenchReply {
  readonly runs: number;
  readonly simNs: number;
  readonly wallMs: number;
  readonly cpuMs: number;
  /** Failed allocations per policy, so the caller can check the run did the real work. */
  readonly failures: Readonly<Record<string, number>>;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

if (parentPort !== null) {
  const port = parentPort;
  port.on("message", (policies: string[]) => {
    const t0 = performance.now();
    const c0 = cpuMs();
    const rows = runAb({ ...DEFAULT_AB, policies });
    const reply: BenchReply = {
      runs: rows.reduce((s, r) => s + r.seeds, 0),
      simNs: rows.reduce((s, r) => s + r.simNs, 0),
      wallMs: performance.now() - t0,
      cpuMs: cpuMs() - c0,
      failures: Object.fromEntries(rows.map((r) => [r.policy, r.allocFailures])),
    };
    port.postMessage(reply);
  });
}
