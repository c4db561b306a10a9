import fc from 'fast-check';

// Property runs explore new random cases on developers' machines; CI replays one fixed seed so that a
// landing never depends on luck (FC_SEED overrides both, e.g. to replay a reported counterexample).
const seed = process.env.FC_SEED ?? (process.env.CI ? '20261127' : undefined);
if (seed !== undefined) fc.configureGlobal({ seed: Number(seed) });
