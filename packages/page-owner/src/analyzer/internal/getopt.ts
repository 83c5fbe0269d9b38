// GNU getopt_long (glibc posix/getopt.c, 2.26+ messages) as page_owner_sort sees it: argument
// permutation, "--", clustered short options, `--name=value` / `--name value`, unique-prefix
// abbreviations and glibc's exact error texts. Extension options (ours, not the kernel tool's)
// match by exact name only, so every command line the kernel tool accepts parses identically.

/** A long option: `hasArg` is getopt's required_argument / no_argument. */
export interface LongOption {
  readonly name: string;
  readonly hasArg: boolean;
  /** What getopt returns (a code, or a short-option letter for `help`). */
  readonly val: number | string;
}

/** One result of {@link Getopt.next}. */
export type GetoptResult =
  | { readonly kind: "opt"; readonly val: number | string; readonly arg: string | null }
  | { readonly kind: "ext"; readonly name: string; readonly arg: string | null }
  | { readonly kind: "error"; readonly message: string }
  | { readonly kind: "end" };

/** Iterates options like glibc getopt_long; positional arguments are collected in order. */
export class Getopt {
  /** Non-option arguments, in order (glibc permutes them after the options). */
  readonly positionals: string[] = [];
  private index = 0;
  /** Remaining letters of a short-option cluster ("-mt"). */
  private cluster = "";
  private done = false;

  constructor(
    private readonly argv: readonly string[],
    private readonly prog: string,
    private readonly shortopts: string,
    private readonly longopts: readonly LongOption[],
    private readonly extensions: readonly LongOption[],
    /** POSIXLY_CORRECT: stop at the first non-option instead of permuting. */
    private readonly requireOrder = false,
  ) {}

  next(): GetoptResult {
    if (this.cluster !== "") return this.short();
    for (;;) {
      if (this.done || this.index >= this.argv.length) {
        this.finish();
        return { kind: "end" };
      }
      const a = this.argv[this.index];
      if (a === "--") {
        this.index++;
        this.finish();
        return { kind: "end" };
      }
      if (a.length < 2 || a[0] !== "-") {
        if (this.requireOrder) {
          this.finish();
          return { kind: "end" };
        }
        this.positionals.push(a);
        this.index++;
        continue;
      }
      this.index++;
      if (a[1] === "-") return this.long(a.slice(2));
      this.cluster = a.slice(1);
      return this.short();
    }
  }

  private finish(): void {
    if (!this.done) {
      for (let i = this.index; i < this.argv.length; i++) this.positionals.push(this.argv[i]);
      this.done = true;
      this.index = this.argv.length;
    }
  }

  private short(): GetoptResult {
    const c = this.cluster[0];
    this.cluster = this.cluster.slice(1);
    if (c === ":" || c === ";" || !this.shortopts.includes(c)) {
      return { kind: "error", message: `${this.prog}: invalid option -- '${c}'\n` };
    }
    return { kind: "opt", val: c, arg: null };
  }

  private long(nextchar: string): GetoptResult {
    const eq = nextchar.indexOf("=");
    const name = eq === -1 ? nextchar : nextchar.slice(0, eq);
    let found: LongOption | undefined = this.longopts.find((o) => o.name === name);
    let isExt = false;
    if (found === undefined) {
      found = this.extensions.find((o) => o.name === name);
      isExt = found !== undefined;
    }
    if (found === undefined) {
      const matches = this.longopts.filter((o) => o.name.startsWith(name));
      if (matches.length > 1) {
        const list = matches.map((o) => ` '--${o.name}'`).join("");
        return {
          kind: "error",
          message: `${this.prog}: option '--${nextchar}' is ambiguous; possibilities:${list}\n`,
        };
      }
      found = matches[0];
    }
    if (found === undefined) {
      return { kind: "error", message: `${this.prog}: unrecognized option '--${nextchar}'\n` };
    }
    let arg: string | null = null;
    if (eq !== -1) {
      if (!found.hasArg) {
        return {
          kind: "error",
          message: `${this.prog}: option '--${found.name}' doesn't allow an argument\n`,
        };
      }
      arg = nextchar.slice(eq + 1);
    } else if (found.hasArg) {
      if (this.index >= this.argv.length) {
        return {
          kind: "error",
          message: `${this.prog}: option '--${found.name}' requires an argument\n`,
        };
      }
      arg = this.argv[this.index++];
    }
    return isExt ? { kind: "ext", name: found.name, arg } : { kind: "opt", val: found.val, arg };
  }
}
