/** Plan-level checks before anything touches disk: safe paths, unique and non-nested bundle dirs. */
import { LAYOUT, type BuildPlan, type BundleFile, type BundlePlan } from '../types.js';
import { WRITE_CODES, WriteError } from './codes.js';
import { ancestors, assertRelPath } from './paths.js';

/**
 * The same checks one bundle at a time, for a build that writes bundles as they are
 * compiled: `add` each bundle before it touches disk, `finish` with the side files.
 */
export class PlanValidator {
  /** Every bundle dir added so far. */
  readonly dirs = new Set<string>();
  /**
   * Ids and dirs of the bundles whose id is not their dir. A bundle named by its dir (what
   * compile makes) costs one entry: its id is the dir, and a dir is never taken twice.
   */
  private readonly otherIds = new Set<string>();
  private readonly otherDirs = new Set<string>();

  /** An earlier bundle has this id: one of the others, or one whose dir is this id. */
  private hasId(id: string): boolean {
    return this.otherIds.has(id) || (this.dirs.has(id) && !this.otherDirs.has(id));
  }
  /** Every proper ancestor of a bundle dir (a dir there would nest a bundle inside another). */
  private readonly enclosing = new Set<string>();

  /** File paths already found safe (every bundle of a sweep has the same few). */
  private readonly goodPaths = new Set<string>();

  add(b: BundlePlan): void {
    assertRelPath(b.dir, () => `directory of bundle ${b.id}`);
    if (b.dir === LAYOUT.stateDir || b.dir.startsWith(`${LAYOUT.stateDir}/`)) {
      throw new WriteError(WRITE_CODES.badPath, `Bundle ${b.id} cannot live in ${LAYOUT.stateDir}/, eegen's state directory.`, { path: b.dir });
    }
    const sameId = this.hasId(b.id);
    if (sameId || this.dirs.has(b.dir)) {
      throw new WriteError(WRITE_CODES.duplicateBundle, `Two bundles share the ${sameId ? `id ${b.id}` : `directory ${b.dir}`}.`, {
        path: b.dir,
        hint: 'Bundle ids come from parameter values; make the swept values distinguishable.',
      });
    }
    if (b.dir.includes('/')) {
      const outer = ancestors(b.dir).find((a) => this.dirs.has(a));
      if (outer) throw new WriteError(WRITE_CODES.nestedBundle, `Bundle directory ${b.dir} lies inside bundle directory ${outer}.`, { path: b.dir });
      for (const a of ancestors(b.dir)) this.enclosing.add(a);
    }
    if (this.enclosing.has(b.dir)) {
      const inner = [...this.dirs].find((d) => d.startsWith(b.dir + '/'))!;
      throw new WriteError(WRITE_CODES.nestedBundle, `Bundle directory ${inner} lies inside bundle directory ${b.dir}.`, { path: inner });
    }
    this.dirs.add(b.dir);
    if (b.id !== b.dir) {
      this.otherIds.add(b.id);
      this.otherDirs.add(b.dir);
    }
    for (const f of b.files) {
      if (this.goodPaths.has(f.path)) continue;
      assertRelPath(f.path, () => `file of bundle ${b.id}`);
      if (this.goodPaths.size < 4096) this.goodPaths.add(f.path);
    }
  }

  finish(sideFiles: readonly Pick<BundleFile, 'path'>[]): void {
    const sidePaths = new Set<string>();
    for (const f of sideFiles) {
      assertRelPath(f.path, 'side file');
      const clash =
        f.path.split('/')[0] === LAYOUT.stateDir || sidePaths.has(f.path) || this.dirs.has(f.path) || this.enclosing.has(f.path) || ancestors(f.path).some((a) => this.dirs.has(a));
      if (clash) {
        throw new WriteError(WRITE_CODES.sideFileConflict, `The side file ${f.path} collides with a bundle directory, another side file or ${LAYOUT.stateDir}/.`, { path: f.path });
      }
      sidePaths.add(f.path);
    }
  }
}

export function validatePlan(plan: BuildPlan): void {
  const v = new PlanValidator();
  for (const b of plan.bundles) v.add(b);
  v.finish(plan.sideFiles);
}
