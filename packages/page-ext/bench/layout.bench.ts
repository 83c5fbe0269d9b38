/**
 * SoA (one typed array per field, what @mm/page-ext hands out) against the kernel's strided AoS
 * entry (a DataView over page_ext_size-byte records) for writing page_owner's 6.1 record.
 */
import { bench, describe } from "vitest";
import { createPageExt, PAGE_OWNER_ERAS, cStructLayout, pageOwnerPageExtBytes } from "../src/index.js";

const PAGES = 1 << 15;
const N = 4096;
const pe = createPageExt({ ranges: [{ startPfn: 0, endPfn: PAGES }] });
const c = pe.register({
  name: "page_owner",
  size: 56,
  needSharedFlags: true,
  fields: {
    order: { kind: "u16" },
    reason: { kind: "i16" },
    gfp: { kind: "u32" },
    handle: { kind: "u32" },
    ts: { kind: "f64" },
    comm: { kind: "u32" },
    pid: { kind: "i32" },
    tgid: { kind: "i32" },
  },
  need: () => true,
});
pe.init();
const d = c.data;
const flags = pe.flags!;

const entry = pageOwnerPageExtBytes("6.1");
const off = cStructLayout(PAGE_OWNER_ERAS["6.1"].members).offsets;
const view = new DataView(new ArrayBuffer(entry * PAGES));

describe("write a 6.1 page_owner record for 4096 order-0 pages", () => {
  bench("AoS DataView, kernel layout (baseline)", () => {
    for (let i = 0; i < N; i++) {
      const b = i * entry;
      view.setUint32(b, view.getUint32(b, true) | 3, true); // low word of the flags
      const r = b + 8;
      view.setUint16(r + off.order, 0, true);
      view.setInt16(r + off.last_migrate_reason, -1, true);
      view.setUint32(r + off.gfp_mask, 0xcc0, true);
      view.setUint32(r + off.handle, 0x1234, true);
      view.setFloat64(r + off.ts_nsec, i, true);
      view.setInt32(r + off.pid, 1, true);
      view.setInt32(r + off.tgid, 1, true);
    }
  });
  bench("SoA typed arrays (@mm/page-ext)", () => {
    for (let i = 0; i < N; i++) {
      flags[i] |= 3;
      d.order[i] = 0;
      d.reason[i] = -1;
      d.gfp[i] = 0xcc0;
      d.handle[i] = 0x1234;
      d.ts[i] = i;
      d.comm[i] = 1;
      d.pid[i] = 1;
      d.tgid[i] = 1;
    }
  });
});

describe("write one order-9 page_owner record (512 sub-pages), x8 blocks", () => {
  bench("AoS DataView, kernel layout (baseline)", () => {
    for (let blk = 0; blk < 8; blk++) {
      for (let i = blk * 512; i < (blk + 1) * 512; i++) {
        const b = i * entry;
        view.setUint32(b, view.getUint32(b, true) | 3, true);
        const r = b + 8;
        view.setUint16(r + off.order, 9, true);
        view.setInt16(r + off.last_migrate_reason, -1, true);
        view.setUint32(r + off.gfp_mask, 0x140cca, true);
        view.setUint32(r + off.handle, 0x1234, true);
        view.setFloat64(r + off.ts_nsec, blk, true);
        view.setInt32(r + off.pid, 1, true);
        view.setInt32(r + off.tgid, 1, true);
      }
    }
  });
  bench("SoA typed arrays with fill() (@mm/page-ext)", () => {
    for (let blk = 0; blk < 8; blk++) {
      const s = blk * 512;
      const e = s + 512;
      for (let i = s; i < e; i++) flags[i] |= 3;
      d.order.fill(9, s, e);
      d.reason.fill(-1, s, e);
      d.gfp.fill(0x140cca, s, e);
      d.handle.fill(0x1234, s, e);
      d.ts.fill(blk, s, e);
      d.comm.fill(1, s, e);
      d.pid.fill(1, s, e);
      d.tgid.fill(1, s, e);
    }
  });
});
