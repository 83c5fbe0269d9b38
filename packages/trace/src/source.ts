/**
 * Reading a trace file of any supported format, streaming: gzip (`.gz` or its magic) and brotli
 * (`.br`) are decompressed on the fly, the format is recognised from the first bytes unless
 * given, and lines go one at a time to the format's parser, so memory stays bounded however large
 * the trace. Progress is reported in bytes of the file as stored.
 */
import { createReadStream, closeSync, openSync, readSync, statSync } from "node:fs";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { createBrotliDecompress, createGunzip } from "node:zlib";
import { MmError } from "@mm/api";
import type { TraceFormat, TraceStats } from "./event.js";
import { FtraceTextParser } from "./ftrace-text.js";
import { readLlfreeTrace } from "./llfree-binary.js";
import { PerfScriptParser } from "./perf-script.js";
import type { TextParserOptions, TraceSink } from "./text-parser.js";

export interface ReadTraceOptions extends TextParserOptions {
  /** @defaultValue recognised from the content */
  readonly format?: TraceFormat | "auto";
  /** Called with (bytes read so far, file size). */
  readonly onProgress?: (read: number, total: number) => void;
}

type Compression = "none" | "gzip" | "brotli";

function compressionOf(path: string, head: Uint8Array): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (path.endsWith(".br")) return "brotli";
  if (path.endsWith(".xz") || (head[0] === 0xfd && head[1] === 0x37 && head[2] === 0x7a))
    throw new MmError("EINVAL", `${path}: xz is not supported; decompress it first (xz -d) or use gzip/brotli`);
  return "none";
}

function readHead(path: string, n: number): Uint8Array {
  const fd = openSync(path, "r");
  try {
    const b = new Uint8Array(n);
    const got = readSync(fd, b, 0, n, 0);
    return b.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** Recognise a text trace's format from its first decompressed bytes. */
export function detectTextFormat(text: string): "ftrace" | "perf" {
  if (/^# tracer:/m.test(text) || /\[\d{3,}\]\s+(?:\S{4,5}\s+)?\d+\.\d+: (?:mm_page|<stack trace>)/.test(text)) return "ftrace";
  if (/\s\[\d+\]\s+\d+\.\d+:\s+(?:\d+\s+)?kmem:mm_page/.test(text)) return "perf";
  return "ftrace";
}

function decompressed(path: string, c: Compression, onBytes: (n: number) => void): Readable {
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  file.on("data", (chunk) => onBytes(chunk.length));
  if (c === "none") return file;
  const z = c === "gzip" ? createGunzip() : createBrotliDecompress();
  file.on("error", (e) => z.destroy(e));
  return file.pipe(z);
}

async function firstText(path: string, c: Compression): Promise<string> {
  const s = decompressed(path, c, () => {});
  let text = "";
  for await (const chunk of s) {
    text += (chunk as Buffer).toString("latin1");
    if (text.length >= 1 << 16) break;
  }
  s.destroy();
  return text;
}

/** Is this an LLFree binary trace (uncompressed, whole 4 KiB pages, binary header)? */
function looksLlfree(path: string, head: Uint8Array): boolean {
  const size = statSync(path).size;
  if (size < 8192 || size % 4096 !== 0 || head.length < 16) return false;
  for (let i = 12; i < Math.min(head.length, 4096); i++) if (head[i] !== 0) return false;
  return true;
}

/** Stream a trace file's events to sink; returns what the reader saw. */
export async function readTrace(path: string, sink: TraceSink, opts: ReadTraceOptions = {}): Promise<TraceStats> {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new MmError("EINVAL", `${path}: no such trace file`);
  }
  const head = readHead(path, 4096);
  let format = opts.format ?? "auto";
  const c = compressionOf(path, head);
  if (format === "auto" && c === "none" && looksLlfree(path, head)) format = "llfree";
  if (format === "llfree") {
    if (c !== "none") throw new MmError("EINVAL", `${path}: decompress an LLFree trace before reading it`);
    let read = 0;
    const { stats } = readLlfreeTrace(path, sink, (n) => opts.onProgress?.((read += n), size));
    return stats;
  }
  if (format === "auto") format = detectTextFormat(await firstText(path, c));
  const parser = format === "perf" ? new PerfScriptParser(sink, opts) : new FtraceTextParser(sink, opts);
  let read = 0;
  const input = decompressed(path, c, (n) => {
    read += n;
    opts.onProgress?.(read, size);
  });
  const rl = createInterface({ input, crlfDelay: Infinity });
  for await (const line of rl) parser.pushLine(line);
  const stats = parser.end();
  stats.bytes = size;
  return stats;
}

/** Parse a whole trace held in memory (tests, small inputs). */
export function parseTraceText(text: string, sink: TraceSink, opts: TextParserOptions & { format?: "ftrace" | "perf" } = {}): TraceStats {
  const format = opts.format ?? detectTextFormat(text.slice(0, 1 << 16));
  const parser = format === "perf" ? new PerfScriptParser(sink, opts) : new FtraceTextParser(sink, opts);
  const lines = text.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  for (const l of lines) parser.pushLine(l);
  const stats = parser.end();
  stats.bytes = text.length;
  return stats;
}
