/**
 * A pin-owner map worker thread: answers `{ index, config, seed, ids }` with that seed's batched
 * pass (`mapRun`). mapRun is a pure function of its arguments, so which worker ran a seed does not
 * change the map.
 */
import { parentPort } from "node:worker_threads";
import { mapRun } from "../pin-owner.js";
import type { MapSeedReply, MapSeedTask } from "./map-pool.js";

const port = parentPort;
if (port === null) throw new Error("pin-owner map worker started outside a worker thread");
port.on("message", (t: MapSeedTask) => {
  let reply: MapSeedReply;
  try {
    reply = { index: t.index, rows: mapRun(t.config, t.seed, t.ids) };
  } catch (e) {
    reply = { index: t.index, error: (e as Error).message };
  }
  port.postMessage(reply);
});
