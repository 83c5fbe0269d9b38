// The memcg lines mm/page_owner.c print_page_owner_memcg() adds after a record's stack
// (CONFIG_MEMCG, 5.18+; the same texts in 6.1 and 6.12):
//
//   if (memcg_data & MEMCG_DATA_OBJCGS)        (6.12: MEMCG_DATA_OBJEXTS)
//           "Slab cache page\n"
//   "Charged %sto %smemcg %s\n", PageMemcgKmem(page) ? "(via objcg) " : "",
//                                online ? "" : "offline ", name
//
// The kernel tools have no notion of them: they are lines of the block text like any other, so
// they take part in the default grouping and are printed with the text and with
// --cull=stacktrace (reproduced: that is what we do by default too). Our `--memcg` extension makes
// them a grouping key of their own and an output column.

/** The memcg a block's trailer lines charge it to, as `--memcg` groups and prints it. */
export interface MemcgTrailer {
  /** `Slab cache page` was printed. */
  readonly slab: boolean;
  /** The `Charged ...` line's fields, or null when the block has none. */
  readonly name: string | null;
  readonly viaObjcg: boolean;
  readonly offline: boolean;
}

const CHARGED = /(?:^|\n)Charged (\(via objcg\) )?to (offline )?memcg ([^\n]*)/;

/** The trailer lines of a block's text (latin1), wherever in the block they are. */
export function memcgTrailer(txt: string): MemcgTrailer {
  const slab = txt.startsWith("Slab cache page\n") || txt.includes("\nSlab cache page\n") || txt.endsWith("\nSlab cache page");
  const m = CHARGED.exec(txt);
  if (m === null) return { slab, name: null, viaObjcg: false, offline: false };
  return { slab, name: m[3], viaObjcg: m[1] !== undefined, offline: m[2] !== undefined };
}

/** What compares equal for `--memcg`: every field of the trailer. */
export function memcgKey(txt: string): string {
  const t = memcgTrailer(txt);
  return `${t.slab ? "s" : "-"}${t.viaObjcg ? "o" : "-"}${t.offline ? "x" : "-"}${t.name === null ? "" : `:${t.name}`}`;
}

/** The `--memcg` output column: `, memcg /a.slice (via objcg, offline, slab cache page)` or `, memcg -`. */
export function formatMemcg(txt: string): string {
  const t = memcgTrailer(txt);
  const notes: string[] = [];
  if (t.viaObjcg) notes.push("via objcg");
  if (t.offline) notes.push("offline");
  if (t.slab) notes.push("slab cache page");
  return `, memcg ${t.name ?? "-"}${notes.length === 0 ? "" : ` (${notes.join(", ")})`}`;
}
