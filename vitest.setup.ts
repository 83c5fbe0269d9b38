import fc from "fast-check";

// Property tests are deterministic in CI (same seed, same cases); set FC_SEED to explore others.
fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261122) });
