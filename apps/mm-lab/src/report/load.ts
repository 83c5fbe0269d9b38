/**
 * `mm-lab report <input>`: what the input is (a DuckDB results store or JSON) and which adapter
 * turns it into report data.
 */
import { openSync, readSync, closeSync, readFileSync } from "node:fs";
import { MmError } from "@mm/api";
import type { ReportData } from "./data.js";

/** DuckDB database files carry "DUCK" at byte 8 (after the header checksum). */
export function isDuckDbFile(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    throw new MmError("EINVAL", `cannot read ${path}`);
  }
  try {
    const head = Buffer.alloc(12);
    const n = readSync(fd, head, 0, 12, 0);
    return n === 12 && head.toString("latin1", 8, 12) === "DUCK";
  } finally {
    closeSync(fd);
  }
}

/** Marks a file that already is report data (written by `mm-lab report --data`). */
export const REPORT_DATA_FORMAT = "mm-lab-report-data/1";

/** Parse JSON text (one document, or JSON lines), naming the file on failure. */
export function readJsonDocuments(path: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new MmError("EINVAL", `cannot read ${path}`);
  }
  try {
    return [JSON.parse(text) as unknown];
  } catch {
    // Not one document: JSON lines, as `mm-lab run --json` prints them.
  }
  const docs: unknown[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    try {
      docs.push(JSON.parse(line) as unknown);
    } catch {
      throw new MmError("PARSE_ERROR", `${path}:${i + 1}: not JSON`);
    }
  });
  if (docs.length === 0) throw new MmError("PARSE_ERROR", `${path}: empty`);
  return docs;
}

/** A saved ReportData document: `{ "format": REPORT_DATA_FORMAT, "data": {...} }`. */
export function asSavedReportData(doc: unknown): ReportData | null {
  if (typeof doc !== "object" || doc === null) return null;
  const d = doc as { format?: unknown; data?: unknown };
  return d.format === REPORT_DATA_FORMAT && typeof d.data === "object" && d.data !== null ? (d.data as ReportData) : null;
}
