// The few libc behaviours page_owner_sort's output depends on: glibc's qsort (a top-down merge
// sort), strtol/strtoull on a digit string, and strerror texts for perror().

/** A C comparator over indices: <0, 0 or >0. */
export type IndexCmp = (a: number, b: number) => number;

/**
 * glibc `qsort` (stdlib/msort.c `msort_with_tmp`): top-down merge sort, n1 = n/2, taking from the
 * left run while `cmp(left, right) <= 0`. It is stable for sane comparators; page_owner_sort's
 * `compare_ts` never returns 0 and its int differences can overflow, so the exact split and merge
 * order decide its output, and we replicate them instead of using Array.prototype.sort.
 * (glibc falls back to quicksort/heapsort only when it cannot allocate the temporary array.)
 */
export function glibcQsort(items: Int32Array, cmp: IndexCmp): void {
  const n = items.length;
  if (n <= 1) return;
  const tmp = new Int32Array(n);
  msort(items, tmp, 0, n, cmp);
}

function msort(b: Int32Array, t: Int32Array, lo: number, n: number, cmp: IndexCmp): void {
  if (n <= 1) return;
  let n1 = n >>> 1;
  let n2 = n - n1;
  const mid = lo + n1;
  msort(b, t, lo, n1, cmp);
  msort(b, t, mid, n2, cmp);
  let i = lo;
  let j = mid;
  let k = 0;
  while (n1 > 0 && n2 > 0) {
    if (cmp(b[i], b[j]) <= 0) {
      t[k++] = b[i++];
      n1--;
    } else {
      t[k++] = b[j++];
      n2--;
    }
  }
  while (n1 > 0) {
    t[k++] = b[i++];
    n1--;
  }
  // Elements left in the right run are already in place (glibc copies only n - n2).
  for (let x = 0; x < k; x++) b[lo + x] = t[x];
}

/** 2^63 - 1, LONG_MAX on LP64. */
const LONG_MAX = 0x7fff_ffff_ffff_ffffn;
/** 2^64 - 1, ULLONG_MAX. */
const ULLONG_MAX = 0xffff_ffff_ffff_ffffn;
/**
 * search_pattern() copies the match into a zeroed `char[FIELD_BUFF]` (25) without bounds checks;
 * a longer digit run overflows it (undefined behaviour in C). We treat such runs as out of range.
 */
export const FIELD_BUFF = 25;

/**
 * `(int)strtol(digits, &end, 10)` with page_owner_sort's checks: returns null when the C code
 * takes its error path (empty string, ERANGE), else the value truncated to a C int.
 * `digits` holds only [0-9] (it comes from a `([0-9]*)` group).
 */
export function strtolInt(digits: string): number | null {
  const len = digits.length;
  if (len === 0 || len >= FIELD_BUFF) return null;
  if (len <= 9) return Number(digits) | 0;
  const v = BigInt(digits);
  if (v > LONG_MAX) return null;
  return Number(BigInt.asIntN(32, v));
}

/**
 * `strtoull(digits)` with page_owner_sort's checks: null on the error path (the C code then
 * returns `-1`, i.e. 2^64-1). Values up to 2^53 come back as numbers, larger ones as bigints
 * (JS `<` compares the two kinds exactly).
 */
export function strtoullU64(digits: string): number | bigint | null {
  const len = digits.length;
  if (len === 0 || len >= FIELD_BUFF) return null;
  if (len <= 15) return Number(digits);
  const v = BigInt(digits);
  if (v > ULLONG_MAX) return null;
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** `(__u64)-1`, what get_ts_nsec() returns on failure. */
export const U64_MINUS_ONE = ULLONG_MAX;

/**
 * `strtol(s, &end, 10)` as parse_nums_list() uses it on a command-line list element: leading
 * whitespace and one sign allowed, every character must be consumed, no ERANGE. Returns the value
 * truncated to int, or null when the C code reports "wrong/invalid pid".
 */
export function strtolArg(s: string): number | null {
  const m = /^[ \t\n\v\f\r]*([+-]?)([0-9]+)$/.exec(s);
  if (m === null) return null;
  let v = BigInt(m[2]);
  if (m[1] === "-") v = -v;
  if (v > LONG_MAX || v < -LONG_MAX - 1n) return null;
  return Number(BigInt.asIntN(32, v));
}

/** glibc strerror() texts for the errnos fopen() can plausibly fail with. */
const STRERROR: Readonly<Record<string, string>> = {
  ENOENT: "No such file or directory",
  EACCES: "Permission denied",
  EISDIR: "Is a directory",
  ENOTDIR: "Not a directory",
  ELOOP: "Too many levels of symbolic links",
  ENAMETOOLONG: "File name too long",
  EROFS: "Read-only file system",
  ENOSPC: "No space left on device",
  EMFILE: "Too many open files",
  ENFILE: "Too many open files in system",
  EPERM: "Operation not permitted",
  ETXTBSY: "Text file busy",
  ENXIO: "No such device or address",
  ENODEV: "No such device",
  EINVAL: "Invalid argument",
  EIO: "Input/output error",
  EFBIG: "File too large",
  EDQUOT: "Disk quota exceeded",
};

/** strerror(errno) for a Node fs error code; falls back to the Node message. */
export function strerror(code: string | undefined, fallback: string): string {
  return (code !== undefined && STRERROR[code]) || fallback;
}
