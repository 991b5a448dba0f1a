/**
 * Readers for what a run leaves behind, and the snippet that takes a host's fingerprint.
 * Every reader is pure (text in, typed value out), reads line by line, and never throws:
 * it returns what it could read plus a list of problems (EG7xxx). Formats: docs/formats.md.
 */
export { RESULT_CODES, type ResultCode, type Parsed, type ReadOptions } from './codes.js';
export { parseEvents, parseProgressLines, summarizeRun } from './events.js';
export { parseStopWatch } from './stopwatch.js';
export { parseMlLog, mlResults, readHistory } from './mllog.js';
export {
  parsePowerTrace,
  parseSmiTimestamp,
  energyJoules,
  energyFromCounter,
  energyCounters,
  bestEnergy,
  toMillis,
  type PowerTraceOptions,
  type IntegrateOptions,
  type CounterPair,
  type BestEnergyInput,
} from './power.js';
export { parseGpuInventory, gpusFromInventory, parseNvidiaSmiXml, parseFingerprint, normalizeFingerprint } from './fingerprint.js';
export { fingerprintScript, type FingerprintScriptOptions } from './fingerprint-script.js';
export { readResultJson } from './result-json.js';
export type * from './types.js';
