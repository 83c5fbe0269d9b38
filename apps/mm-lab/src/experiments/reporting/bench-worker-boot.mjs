// Entry of the bench's worker thread: register tsx's loader in this thread, then load the
// TypeScript worker (Node 20 does not apply --import loaders to a worker's own entry module).
import { register } from "tsx/esm/api";

register();
await import("./bench-worker.ts");
