/**
 * Stage 3-4 in order: every combination named and keyed here, rendered here or on
 * worker threads (pool.ts), and handed on in sweep order, so that bundles, diagnostics
 * and where a failing compile stops are those of a sequential compile.
 */
import { throwIfAborted } from '../util/abort.js';
import type { Diagnostic } from '../diagnostics/index.js';
import type { BundlePlan, Combination } from '../types.js';
import { headOf, type NamingInputs } from './name.js';
import { defaultWorkers, PARALLEL_MIN, RenderPool, workerScript, type BundleHead, type RenderOutcome, type RenderSetup } from './pool.js';
import { renderBundles, type BundleInputs } from './render.js';
import type { CompileOptions, CompileStats } from './types.js';

const MAX_FAILING_BUNDLES = 20;
/** Combinations rendered together on the main thread. */
const LOCAL_BATCH = 128;

/** Combinations that must need rendering before workers are started. */
const POOL_START = 64;
/** With workers, the main thread looks up for their results at least this often (ms). */
const YIELD_MS = 2;

function setupOf(r: BundleInputs): RenderSetup {
  return { configFile: r.configFile, configText: r.configText, profile: r.profile, template: r.template, copied: r.copied, fixedInputs: r.fixedInputs, schema: r.schema, strict: r.strict };
}

/** One position of the sweep, once known: its bundle (if it compiled) and what it reported. */
interface Outcome {
  bundle?: BundlePlan;
  diagnostics: Diagnostic[];
  /** evalErrors.length when the combination was produced (a sequential compile stops there). */
  evalCount: number;
}

/**
 * Render every combination, here or on worker threads, and hand the bundles to
 * `onBundle` in sweep order. The main thread names and keys each combination (the
 * collision check needs to see them all, and reused bundles need no rendering) and
 * renders locally until workers are up. Results are taken in sweep order, so the
 * bundles, the diagnostics and where a failing compile stops are exactly those of a
 * sequential compile.
 */
export async function compileAll(opts: CompileOptions, naming: NamingInputs, combos: Iterable<Combination>, evalErrors: Diagnostic[], diagnostics: Diagnostic[], total: number, stats: CompileStats): Promise<{ bundles: BundlePlan[]; count: number }> {
  /** The bundles, unless the caller keeps none (keepBundles: false: onBundle has each one). */
  const bundles: BundlePlan[] = [];
  const keep = opts.keepBundles !== false;
  let count = 0;
  const done = new Map<number, Outcome>();
  let nextSeq = 0;
  let emitted = 0;
  // Most render errors repeat in every bundle: stop after a few failing bundles.
  let failing = 0;
  let stopped = false;
  let stopEval = -1;

  /** Take finished outcomes in sweep order. */
  const emit = async (): Promise<void> => {
    for (let o = done.get(emitted); o !== undefined && !stopped; o = done.get(emitted)) {
      done.delete(emitted++);
      diagnostics.push(...o.diagnostics);
      if (o.bundle) {
        count++;
        const at = keep ? bundles.push(o.bundle) - 1 : -1;
        // What the writer keeps instead (the bundle without its bytes, once they are on disk).
        const kept = await opts.onBundle?.(o.bundle);
        if (kept && keep) bundles[at] = kept;
      } else if (++failing >= MAX_FAILING_BUNDLES) {
        stopped = true;
        stopEval = o.evalCount;
      }
      opts.onEvent?.({ type: 'compile', done: count, total });
    }
  };

  // An explicit worker count sends every render to the workers from the first one (tests
  // rely on that); by default they start once a sweep shows enough work for them, and the
  // main thread renders meanwhile.
  const explicit = opts.workers !== undefined && opts.workers > 0;
  const requested = opts.workers ?? defaultWorkers(total);
  const script = requested > 0 ? workerScript() : undefined;
  let pool: RenderPool | undefined;
  /** Combinations that needed rendering so far; workers start once it is clear they pay. */
  let toRender = 0;
  const pending = new Map<number, number>(); // seq -> evalCount, for jobs on workers
  let lastYield = performance.now();
  const receive = async (outcomes: RenderOutcome[]): Promise<void> => {
    for (const o of outcomes) {
      done.set(o.seq, { ...(o.bundle ? { bundle: o.bundle } : {}), diagnostics: o.diagnostics, evalCount: pending.get(o.seq)! });
      pending.delete(o.seq);
    }
    await emit();
  };

  /** Combinations to render on this thread, in one batch. */
  let local: { seq: number; head: BundleHead; own: Diagnostic[]; evalCount: number }[] = [];
  const renderLocal = (): void => {
    if (!local.length) return;
    const batch = local;
    local = [];
    const rendered = renderBundles(
      naming.r,
      batch.map((b) => b.head),
    );
    for (const [i, b] of batch.entries()) {
      const r = rendered[i]!;
      done.set(b.seq, { ...(r.bundle ? { bundle: r.bundle } : {}), diagnostics: [...b.own, ...r.diagnostics], evalCount: b.evalCount });
    }
  };

  let lastTurn = performance.now();
  try {
    for (const combo of combos) {
      if (stopped) break;
      if (opts.signal) {
        // A caller's abort arrives as an event: give it a turn now and then.
        if (performance.now() - lastTurn > YIELD_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          lastTurn = performance.now();
        }
        throwIfAborted(opts.signal);
      }
      const seq = nextSeq++;
      const evalCount = evalErrors.length;
      const own: Diagnostic[] = [];
      const head = headOf(naming, combo, own);
      if (head && !('files' in head)) {
        toRender++;
        if (!pool && script && (explicit || (toRender === POOL_START && total - seq >= PARALLEL_MIN / 2))) {
          pool = new RenderPool(script, setupOf(naming.r), requested, { wrapper: naming.r.wrapper, copied: naming.r.copied.map((f) => f.content) });
          stats.workers = requested;
        }
        if (pool && performance.now() - lastYield > YIELD_MS) {
          renderLocal();
          // Let the workers' messages in: they arrive as events, between our turns.
          await new Promise((resolve) => setImmediate(resolve));
          lastYield = performance.now();
          await receive(pool.take());
        }
        if (pool && (explicit || (pool.ready && !pool.full))) {
          pending.set(seq, evalCount);
          pool.submit({ ...head, seq });
          stats.renderedOnWorkers++;
          if (pool.full && explicit) {
            renderLocal();
            await receive(await pool.next());
          }
          continue;
        }
        // No workers, workers still starting, or all busy: render here rather than wait,
        // a few at a time (templates render faster in batches).
        local.push({ seq, head, own, evalCount });
        stats.renderedHere++;
        if (local.length >= LOCAL_BATCH) renderLocal();
      } else {
        if (head) stats.reused++;
        done.set(seq, { ...(head ? { bundle: head } : {}), diagnostics: own, evalCount });
      }
      await emit();
    }
    renderLocal();
    await emit();
    if (pool) {
      pool.flush();
      while (!stopped && pool.outstanding > 0) {
        throwIfAborted(opts.signal);
        await receive(await pool.next());
      }
    }
    throwIfAborted(opts.signal);
    await emit();
  } finally {
    await pool?.close();
  }
  // A sequential compile stops producing combinations (and their evaluation errors) where it stopped.
  if (stopped && stopEval >= 0) evalErrors.length = Math.min(evalErrors.length, stopEval);
  return { bundles, count };
}
