/**
 * An experiment is one wiring of the @mm packages under a choice of policies. It declares its
 * options (the CLI turns them into flags) and writes its own table / JSON through `io`.
 */
export interface ExperimentOption {
  /** Flag spelling for commander, e.g. "--seeds <n>" or "--sweep". */
  readonly flags: string;
  readonly description: string;
  readonly defaultValue?: string | boolean;
}

export interface RunIO {
  /** Write to stdout (tables, JSON lines). */
  write(text: string): void;
  /** Progress on stderr while a long run goes on; a no-op when stderr is not a TTY or with --json. */
  progress(total: number, label: string): Progress;
  /** Write a side output file (e.g. a series CSV); optional so test doubles may capture it instead. */
  writeFile?(path: string, text: string): void;
}

export interface Progress {
  tick(n?: number): void;
  stop(): void;
}

export type ExperimentArgs = Readonly<Record<string, string | boolean | undefined>>;

export interface Experiment {
  readonly name: string;
  readonly summary: string;
  readonly options: readonly ExperimentOption[];
  run(args: ExperimentArgs, io: RunIO): Promise<void> | void;
}
