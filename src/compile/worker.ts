/**
 * A render worker thread (see pool.ts): receives the build's RenderSetup once,
 * then batches of named combinations, and answers each with its finalized bundle or its
 * diagnostics. It reads no files: the config text, template, profile and copied files
 * all come from the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage, toWire, type FromWorker, type RenderSetup, type ToWorker, type WireOutcome } from './pool.js';
import { bundleInputs, renderBundles } from './render.js';

const port = parentPort;
if (!port) throw new Error('eegen: compile/worker.js runs as a worker thread only');

try {
  const inputs = bundleInputs(workerData as RenderSetup);
  const shared = { wrapper: inputs.wrapper, copied: inputs.copied.map((f) => f.content) };
  port.on('message', (m: ToWorker) => {
    try {
      const rendered = renderBundles(inputs, m.jobs);
      const results: WireOutcome[] = m.jobs.map((job, i) => {
        const { bundle: plan, diagnostics } = rendered[i]!;
        const bundle = toWire(plan, shared);
        return bundle ? { seq: job.seq, bundle, diagnostics } : { seq: job.seq, diagnostics };
      });
      port.postMessage({ type: 'results', results } satisfies FromWorker);
    } catch (e) {
      port.postMessage(errorMessage(e));
    }
  });
  port.postMessage({ type: 'ready' } satisfies FromWorker);
} catch (e) {
  port.postMessage(errorMessage(e));
}
