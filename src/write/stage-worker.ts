/**
 * The staging thread (see stage-thread.ts): writes each bundle's files into the staging
 * dir the main thread chose, in order, and reports the first failure. It decides
 * nothing else; everything it writes lives under `.eegen/tmp`, which recovery empties.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { BundleFile } from '../types.js';
import { stageInto, stageIntoSync } from './commit.js';
import { AdaptiveRunner, SLOW_WRITE_MS } from './fsx.js';
import type { FromStager, StagerData, ToStager } from './stage-thread.js';

const port = parentPort;
if (!port) throw new Error('eegen: stage-worker.js runs as a worker thread only');

const shared = new Map<number, Buffer>();
const runner = new AdaptiveRunner(SLOW_WRITE_MS, (workerData as StagerData | undefined)?.fs ?? 'auto');
const asBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
let failed = false;
/** Messages are handled one after another, so bundles are written in the order sent. */
let queue: Promise<void> = Promise.resolve();

function fail(staging: string, e: unknown): void {
  if (failed) return;
  failed = true;
  const err = e as NodeJS.ErrnoException;
  port!.postMessage({ type: 'error', staging, message: err?.message ?? String(e), ...(err?.code ? { code: err.code } : {}) } satisfies FromStager);
}

port.on('message', (m: ToStager) => {
  queue = queue.then(async () => {
    if (m.type === 'share') shared.set(m.id, asBuffer(m.content));
    else if (m.type === 'stage') {
      const data = asBuffer(m.data);
      /** Each bundle's signature as written (the rename into place keeps it), reported with the batch. */
      const sigs: (string | null)[] = [];
      for (const item of m.items) {
        if (failed) return;
        const files: BundleFile[] = item.files.map((f) => ({ path: f.path, mode: f.mode, content: f.shared !== undefined ? shared.get(f.shared)! : data.subarray(f.at, f.at + f.len) }));
        await runner
          .run(async (hot) => {
            if (hot.sync) sigs.push(stageIntoSync(item.staging, files));
            else {
              sigs.push(null);
              await stageInto(hot, item.staging, files);
            }
          })
          .catch((e: unknown) => fail(item.staging, e));
      }
      port!.postMessage({ type: 'staged', count: m.items.length, sigs } satisfies FromStager);
    } else {
      await runner.drain().catch((e: unknown) => fail('(staging)', e));
      if (!failed) port!.postMessage({ type: 'finished' } satisfies FromStager);
    }
  });
});
