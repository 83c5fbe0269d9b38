/**
 * A sweep worker thread: imports the experiment registry and answers `run` messages with
 * `runOne`'s metrics. Holds no state between runs (runOne is pure), so any worker may take any
 * task and the results do not depend on which one did.
 */
import { parentPort } from "node:worker_threads";
import { experiments } from "../experiments/index.js";
import type { WorkerReply, WorkerTask } from "./pool.js";

const port = parentPort;
if (port === null) throw new Error("sweep worker started outside a worker thread");
port.on("message", (t: WorkerTask) => {
  let reply: WorkerReply;
  try {
    const exp = experiments.find((e) => e.name === t.experiment);
    if (exp === undefined) throw new Error(`worker: unknown experiment ${t.experiment}`);
    reply = { index: t.index, metrics: exp.runOne(t.config, t.seed, t.policy ?? undefined).metrics };
  } catch (e) {
    const err = e as Error & { code?: string };
    reply = { index: t.index, error: { message: err.message, code: typeof err.code === "string" ? err.code : null } };
  }
  port.postMessage(reply);
});
