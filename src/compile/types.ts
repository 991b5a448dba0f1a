/** The compile stage's options and results (the values `build` and the library pass in and get back). */
import type { Diagnostic, SourceSet } from '../diagnostics/index.js';
import type { Sweep } from '../expand/index.js';
import type { IndexInfo } from '../bundle/side-files.js';
import type { BuildEvent, BuildPlan, BundlePlan, LoadedYaml, Mapping } from '../types.js';

export interface CompileOptions {
  /** Path to the experiment config (YAML). */
  config: string;
  /** Template file; overrides the config's `template:`. */
  template?: string;
  /** Host/site profile name; overrides the config's `system.host`. */
  host?: string;
  /** Host inventory to look the host up in first (default: hosts.yaml in the cwd or beside the config). */
  hostsFile?: string;
  /** Where a relative `hostsFile` and the default hosts.yaml are looked up (default: the process's working directory). */
  cwd?: string;
  /** Extra folders searched for profiles before the built-in ones. */
  profileDirs?: string[];
  /** Build sweeps larger than the limit. */
  force?: boolean;
  /** What the build reports while it runs (progress of rendering and writing, its diagnostics). */
  onEvent?: (event: BuildEvent) => void;
  /**
   * Stops the compile (and a build's write) between bundles: it rejects with an
   * AbortError, and the output directory is as it was (nothing is put in place before
   * the whole config compiled).
   */
  signal?: AbortSignal;
  /**
   * Skip rendering bundles whose inputs are unchanged since the last build of `outDir`
   * (input keys recorded in OUT/.eegen/keys.json), as a static site generator does.
   */
  reuse?: { outDir: string; keys: Map<string, { key: string; hash: string; sig?: string }> };
  /**
   * Called once the inputs are known to be good, before the first bundle is rendered
   * (a build opens its output directory here).
   */
  onStart?: () => Promise<void>;
  /**
   * Called with each bundle, in sweep order, as soon as it is ready (a build writes it
   * while later bundles are still being rendered). A rejection stops the compile. What it
   * returns takes the bundle's place in the plan (the writer's copy without its bytes).
   */
  onBundle?: (bundle: BundlePlan) => Promise<BundlePlan | void>;
  /**
   * false: the plan lists no bundles, so that a compile's memory does not grow with the
   * sweep (a streaming build: its writer takes each one from `onBundle`); the result's
   * `count` says how many there were. Default true.
   */
  keepBundles?: boolean;
  /**
   * The caller writes index.json and jobs.sh itself from the bundles `onBundle` gets (a
   * build's stream session, with the result's `index`): the plan holds no side files.
   */
  streamed?: boolean;
  /**
   * Report every placeholder-shaped text that is left as written (`{word}` whose first
   * segment is no config key or namespace), and fail on any warning.
   */
  strict?: boolean;
  /**
   * Worker threads that render bundles in parallel: 0 renders on the calling thread.
   * Default: one per CPU beyond two (at most 4), for sweeps large enough to pay for
   * starting them (see pool.ts defaultWorkers); the CLI passes --jobs or EEGEN_WORKERS. The output is the same bytes either way.
   */
  workers?: number;
  /**
   * Time limits per bundle id (`resources.time`, `HH:MM:SS`), over the config's: what
   * `build --time-from OUT` takes from predict. A bundle not named keeps the config's time.
   * Part of each named bundle's inputs (its config.yaml and input key).
   */
  timeLimits?: ReadonlyMap<string, string>;
}

export interface Inputs {
  loaded: LoadedYaml;
  config: Mapping;
  sweep: Sweep;
  sources: SourceSet;
}

/** How the bundles were produced (benchmarks, tests, --verbose output). */
export interface CompileStats {
  /** Worker threads started (0: everything rendered on the calling thread). */
  workers: number;
  /** Bundles rendered on the calling thread and on workers. */
  renderedHere: number;
  renderedOnWorkers: number;
  /** Bundles not rendered at all: their inputs were unchanged since the last build. */
  reused: number;
}

export interface CompileResult {
  plan?: BuildPlan;
  /** Bundles compiled (plan.bundles.length, unless keepBundles was false). */
  count?: number;
  /** The head of index.json (bundle/side-files.ts), for a caller that writes it (`streamed`). */
  index?: IndexInfo;
  stats?: CompileStats;
  sources: SourceSet;
  diagnostics: Diagnostic[];
}

/** The sweep size a build refuses without --force or sweep.limit. */
export const DEFAULT_LIMIT = 10_000;
