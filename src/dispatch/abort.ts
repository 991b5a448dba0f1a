/** Cancellation: one definition for the whole library (util/abort.ts). */
export { AbortError, isAbortError, sleep, throwIfAborted } from '../util/abort.js';
