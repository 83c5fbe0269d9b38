#!/usr/bin/env -S node --max-semi-space-size=1
// The `page_owner_sort` bin: the kernel tool's command line (tools/mm/page_owner_sort.c) on Node.

import { writeSync } from "node:fs";
import { runPageOwnerSort } from "../analyzer/program.js";

/**
 * write(2) straight to fd 1 or 2: process.stdout/stderr would load and set up the stream machinery
 * (~10 ms of a small dump's run) for the few progress lines the tool prints. Blocking fds (files,
 * pipes, ttys) take it synchronously, as Node's own stdio does on Linux; an fd left non-blocking
 * by someone else (EAGAIN) hands the rest, in order, to the stream, which waits for it.
 */
function fdOut(fd: 1 | 2): (d: string | Uint8Array) => void {
  let stream: NodeJS.WriteStream | null = null;
  const viaStream = (b: Uint8Array): void => {
    if (stream === null) {
      stream = fd === 1 ? process.stdout : process.stderr;
      // Output piped into `head` and closed early is not an error worth a stack trace.
      stream.on("error", (e: NodeJS.ErrnoException) => {
        if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
        throw e;
      });
    }
    stream.write(b);
  };
  return (d) => {
    const b = typeof d === "string" ? Buffer.from(d, "utf8") : d;
    if (stream !== null) return viaStream(b);
    let off = 0;
    try {
      while (off < b.length) off += writeSync(fd, b, off, b.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EPIPE") process.exit(process.exitCode ?? 0);
      if (code !== "EAGAIN") throw e;
      viaStream(b.subarray(off));
    }
  };
}

// No top-level await: the published bin is this file bundled as CommonJS (see scripts/bundle-bin.mjs).
void runPageOwnerSort(process.argv.slice(2), {
  stdout: fdOut(1),
  stderr: fdOut(2),
  // process.stdin builds a stream when first touched: only the extension modes' "-" reads it.
  stdin: { [Symbol.asyncIterator]: () => process.stdin[Symbol.asyncIterator]() },
  env: process.env,
}).then((code) => {
  process.exitCode = code;
});
