// Feeds one snapshot into a SnapshotDiff as it streams in: a page_owner dump (records keyed by
// their stack, 2^order pages each) or a page_owner_stacks read (show_stacks keyed by stack,
// show_handles by handle, or by stack through a show_stacks_handles file). The format is told
// by the first non-blank line, so nothing but that line is held before parsing starts.

import { MmError } from "@mm/api";
import type { ParseIssue } from "../api.js";
import { PageOwnerParser } from "../record-parser.js";
import type { StacksEntry, StacksFormat, StacksIssue } from "../stacks/api.js";
import type { HandleFrames } from "../stacks/join.js";
import { PageOwnerStacksParser } from "../stacks/parse.js";
import type { SnapshotDiff } from "./snapshot-diff.js";

/** What a snapshot is. */
export type SnapshotFormat = "page_owner" | StacksFormat;

/**
 * How to key a snapshot's pages: by stack, by depot handle, or (page_owner dumps) by the memcg
 * the record's trailer line charges the page to (`Charged [(via objcg) ]to [offline ]memcg %s`,
 * 5.18+), keys `memcg /path`, `memcg offline /path`, `no memcg`.
 */
export type DiffBy = "stack" | "handle" | "memcg";

export interface SnapshotReadOptions {
  /** `stack` (default): frames (a handle resolved through `frames`, else the handle); `handle`; `memcg`. */
  readonly by?: DiffBy;
  /** show_stacks_handles read: handle -> frames. */
  readonly frames?: HandleFrames;
  /** Throw MmError PARSE_ERROR at the first malformed part. @defaultValue false */
  readonly strict?: boolean;
  readonly onIssue?: (issue: ParseIssue | StacksIssue) => void;
}

const DUMP_HEAD = "Page allocated via order ";

/** Push reader of one side of a diff: {@link push} chunks, then {@link end}. */
export class SnapshotReader {
  format: SnapshotFormat | null = null;
  private head = "";
  private sink: { push(c: Uint8Array | string): void; end(): void } | null = null;
  private stacks: PageOwnerStacksParser | null = null;

  constructor(
    private readonly diff: SnapshotDiff,
    private readonly side: 0 | 1,
    private readonly options: SnapshotReadOptions = {},
  ) {}

  /** Feeds a chunk: bytes, or a latin1 string (one char per byte). */
  push(chunk: Uint8Array | string): void {
    if (this.sink !== null) {
      this.sink.push(chunk);
      return;
    }
    this.head += typeof chunk === "string" ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString("latin1");
    const m = /[^\r\n]/.exec(this.head);
    if (m === null) return;
    const nl = this.head.indexOf("\n", m.index);
    if (nl === -1 && this.head.length - m.index < DUMP_HEAD.length) return;
    this.start(this.head.startsWith(DUMP_HEAD, m.index));
  }

  end(): void {
    if (this.sink === null) {
      if (/[^\r\n]/.test(this.head)) this.start(this.head.trimStart().startsWith(DUMP_HEAD));
      else return; // empty: no pages
    }
    this.sink?.end();
    if (this.stacks !== null) this.format = this.stacks.format;
    if (this.format === "show_stacks_handles")
      throw new MmError("BAD_CONFIG", "show_stacks_handles has no page counts: diff show_handles reads and pass it as the frames file");
  }

  private start(dump: boolean): void {
    const head = this.head;
    this.head = "";
    const o = this.options;
    const popts = {
      ...(o.strict === undefined ? {} : { strict: o.strict }),
      ...(o.onIssue === undefined ? {} : { onIssue: o.onIssue }),
    };
    if (dump) {
      this.format = "page_owner";
      if (o.by === "handle") throw new MmError("BAD_CONFIG", "a page_owner dump has no handles: diff it by stack");
      const diff = this.diff;
      const side = this.side;
      this.sink = new PageOwnerParser(
        o.by === "memcg"
          ? (r) => diff.add(side, r.memcg === null ? "no memcg" : `memcg ${r.memcg.offline ? "offline " : ""}${r.memcg.name}`, 2 ** r.order)
          : (r, framesText) => diff.add(side, framesText, 2 ** r.order),
        popts,
        true,
      );
    } else {
      this.stacks = new PageOwnerStacksParser((e) => this.entry(e), popts);
      this.sink = this.stacks;
    }
    this.sink.push(head);
  }

  private entry(e: StacksEntry): void {
    if (e.nrBasePages === null) return; // show_stacks_handles: rejected at end()
    const o = this.options;
    if (o.by === "memcg") throw new MmError("BAD_CONFIG", "page_owner_stacks files carry no memcg: diff page_owner dumps by memcg");
    let key: string | number | null;
    if (o.by === "handle") {
      if (e.handle === null) throw new MmError("BAD_CONFIG", "show_stacks has no handles: diff it by stack");
      key = e.handle;
    } else {
      key = e.framesText;
      if (key === null && e.handle !== null) key = o.frames?.get(e.handle) ?? e.handle;
    }
    this.diff.add(this.side, key as string | number, e.nrBasePages);
  }
}
