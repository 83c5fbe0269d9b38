export * from "./errors.js";
export * from "./gfp.js";
export * from "./mm.js";
export * from "./page-flags.js";
export * from "./contracts.js";
