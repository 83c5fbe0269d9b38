import type { Experiment } from "../experiment.js";
import { buddyinfo } from "./buddyinfo.js";
import { reportingAb } from "./reporting-ab.js";
import { pageOwner } from "./page-owner.js";
import { pinOwnerExperiment } from "./pin-owner.js";
import { allocStall } from "./alloc-stall.js";
import { captureReporting } from "./capture-reporting.js";

/** Every experiment the CLI knows, in `mm-lab list` order. Add one line per experiment file. */
export const experiments: readonly Experiment[] = [
  reportingAb,
  pageOwner,
  buddyinfo,
  pinOwnerExperiment,
  allocStall,
  captureReporting,
];
