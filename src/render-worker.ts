/**
 * A render worker thread (see render-pool.ts): receives the build's RenderSetup once,
 * then batches of named combinations, and answers each with its finalized bundle or its
 * diagnostics. It reads no files: the config text, template, profile and copied files
 * all come from the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { bundleInputs, renderBundles, type RenderSetup } from './compile.js';
import { errorMessage, toWire, type FromWorker, type ToWorker, type WireOutcome } from './render-pool.js';

const port = parentPort;
if (!port) throw new Error('eegen: render-worker.js runs as a worker thread only');

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
