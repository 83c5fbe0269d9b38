// File-descriptor helpers with no stream machinery behind them: the page_owner_sort path loads
// only these (source.ts, with node:stream and node:zlib, is loaded when a stream is needed).

import { closeSync, readSync } from "node:fs";

/** True when the bytes start with the gzip magic. */
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** Reads the first two bytes of an open file without moving its offset. */
export function fdStartsWithGzip(fd: number): boolean {
  const b = Buffer.alloc(2);
  const n = readSync(fd, b, 0, 2, 0);
  return n === 2 && isGzip(b);
}

/** close(2), ignoring errors (the stream may have closed it already). */
export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}
