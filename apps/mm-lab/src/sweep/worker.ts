/**
 * A sweep worker thread: imports the experiment registry and answers `run` messages with
 * `runOne`'s metrics. Holds no state between runs (runOne is pure), so any worker may take any
 * task and the results do not depend on which one did. A task with `profile` gets the run's
 * thread CPU time in its reply, and the worker's first task ever also the CPU spent starting up.
 */
import { parentPort } from "node:worker_threads";
import { experiments } from "../experiments/index.js";
import type { WorkerCpu, WorkerReply, WorkerTask } from "./pool.js";
import { threadCpuNs } from "./thread-cpu.js";

const port = parentPort;
if (port === null) throw new Error("sweep worker started outside a worker thread");
let first = true;
port.on("message", (t: WorkerTask) => {
  let reply: WorkerReply;
  try {
    const exp = experiments.find((e) => e.name === t.experiment);
    if (exp === undefined) throw new Error(`worker: unknown experiment ${t.experiment}`);
    const profile = t.profile === true;
    const c0 = profile ? (threadCpuNs() ?? 0) : 0;
    const metrics = exp.runOne(t.config, t.seed, t.policy ?? undefined).metrics;
    let cpu: WorkerCpu | undefined;
    if (profile) {
      const c1 = threadCpuNs() ?? 0;
      cpu = first ? { runNs: c1 - c0, startNs: c0 } : { runNs: c1 - c0 };
    }
    reply = cpu === undefined ? { index: t.index, metrics } : { index: t.index, metrics, cpu };
  } catch (e) {
    const err = e as Error & { code?: string };
    reply = { index: t.index, error: { message: err.message, code: typeof err.code === "string" ? err.code : null } };
  }
  first = false;
  port.postMessage(reply);
});
