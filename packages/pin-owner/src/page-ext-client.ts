/**
 * The page_ext client of trace-unref: `need_shared_flags` and no payload of its own (RFC v2's
 * page_pin_owner_ops), or Android page_pinner's 24-byte payload when its sink is used.
 * Kernel: RFC v2 mm/page_pin_owner.c page_pin_owner_ops; mm/page_ext.c page_ext_ops[].
 */
import { MmError } from "@mm/api";
import type { PageExt, PageExtClient } from "@mm/page-ext";
import type { FlagsWord } from "./api.js";

export interface TraceUnrefClientOptions {
  /** Boot parameter `page_pin_owner=on`: need() answers this. */
  readonly enabled: boolean;
  /** Bytes of the client's C struct per page (0 for the RFC; 24 for page_pinner's payload). @defaultValue 0 */
  readonly payloadBytes?: number;
  /** Client name in page_ext_ops[]. @defaultValue "page_pin_owner" */
  readonly name?: string;
}

/**
 * Register the client (before `pe.init()`, after page_owner to keep page_ext_ops[] order).
 * @throws MmError from @mm/page-ext (BAD_STATE after init, BAD_CONFIG on a duplicate name).
 */
export function registerTraceUnrefClient(pe: PageExt, options: TraceUnrefClientOptions): PageExtClient {
  const enabled = options.enabled;
  return pe.register({
    name: options.name ?? "page_pin_owner",
    size: options.payloadBytes ?? 0,
    needSharedFlags: true,
    fields: {},
    need: () => enabled,
  });
}

/**
 * The shared flags word of an enabled client, as the tracer takes it.
 * @throws MmError BAD_STATE when page_ext is not initialised or the client is not enabled.
 */
export function flagsWordOf(client: PageExtClient): FlagsWord {
  const words = client.enabled ? client.flags : null;
  if (words === null) throw new MmError("BAD_STATE", `page_ext client ${client.name} has no flags word (not enabled, or page_ext not initialised)`);
  return { words };
}
