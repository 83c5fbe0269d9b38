// Where dump bytes come from: a file, a gzip-compressed file, or stdin, as chunks. Compression is
// detected from the gzip magic bytes (1f 8b), not the file name, so `page_owner.txt.gz`, a renamed
// file and a compressed stream on stdin all work.

import { createReadStream, fstatSync, openSync } from "node:fs";
import { pipeline, Readable, type Transform } from "node:stream";
import { createGunzip } from "node:zlib";
import { closeQuietly, fdStartsWithGzip, isGzip } from "./internal/fd.js";

export { closeQuietly, fdStartsWithGzip, isGzip };

/** Chunk size of file reads. */
const CHUNK = 1 << 20;

/**
 * Chunks of an open file descriptor, decompressed when they start with the gzip magic. The stream
 * owns the fd from here on and closes it; `closed` settles once it has (a read still in flight
 * when the consumer breaks out must not land on a reused fd number).
 */
export function fdChunks(fd: number): { chunks: AsyncIterable<Buffer>; closed: Promise<void> } {
  let regular = false;
  let gz = false;
  try {
    regular = fstatSync(fd).isFile();
    gz = regular && fdStartsWithGzip(fd);
  } catch {
    // unreadable: the stream reports the error
  }
  const raw = createReadStream("", { fd, autoClose: true, highWaterMark: CHUNK });
  const closed = new Promise<void>((resolve) => raw.once("close", () => resolve()));
  if (!regular) return { chunks: streamChunks(raw), closed }; // pipes: sniff the first chunk
  return { chunks: gz ? gunzip(raw) : raw, closed };
}

/** src piped through gunzip; destroying the result (a `break` out of for-await) stops src too. */
function gunzip(src: Readable): Transform {
  const z = createGunzip({ chunkSize: CHUNK });
  pipeline(src, z, () => {
    // errors reach the consumer through z
  });
  return z;
}

/**
 * Chunks of any byte stream (stdin), gunzipped when it starts with the gzip magic.
 */
export async function* streamChunks(src: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer, void, undefined> {
  const it = src[Symbol.asyncIterator]();
  let ended = false;
  const next = async (): Promise<Buffer | null> => {
    const r = await it.next();
    if (r.done === true) {
      ended = true;
      return null;
    }
    return Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
  };
  try {
    const head: Buffer[] = [];
    let headLen = 0;
    while (headLen < 2) {
      const b = await next();
      if (b === null) break;
      head.push(b);
      headLen += b.length;
    }
    const first = Buffer.concat(head);
    if (!isGzip(first)) {
      if (first.length !== 0) yield first;
      for (let b = ended ? null : await next(); b !== null; b = await next()) yield b;
      return;
    }
    async function* rest(): AsyncGenerator<Buffer, void, undefined> {
      yield first;
      for (let b = ended ? null : await next(); b !== null; b = await next()) yield b;
    }
    for await (const chunk of gunzip(Readable.from(rest()))) yield chunk as Buffer;
  } finally {
    // A consumer that stops early (the C tool stops at an oversized block) must not leave the
    // source open: for process.stdin that would keep the process waiting for EOF.
    if (!ended) await it.return?.();
  }
}

/**
 * Opens a dump for reading: a path (gzip detected) or "-" for the given stdin.
 * @returns the chunks, and a promise that settles when the file is closed again
 */
export function openDump(path: string, stdin?: AsyncIterable<Uint8Array>): { chunks: AsyncIterable<Buffer>; closed: Promise<void> } {
  if (path === "-") {
    if (stdin === undefined) throw new Error("no stdin to read '-' from");
    return { chunks: streamChunks(stdin), closed: Promise.resolve() };
  }
  return fdChunks(openSync(path, "r"));
}
