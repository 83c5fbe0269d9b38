import type { Experiment } from "../experiment.js";

/** Every experiment the CLI knows, in `mm-lab list` order. Add one line per experiment file. */
export const experiments: readonly Experiment[] = [];
