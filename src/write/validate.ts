/** Plan-level checks before anything touches disk: safe paths, unique and non-nested bundle dirs. */
import { LAYOUT, type BuildPlan } from '../types.js';
import { WRITE_CODES, WriteError } from './codes.js';
import { ancestors, assertRelPath, isWithin } from './paths.js';

export function validatePlan(plan: BuildPlan): void {
  const ids = new Set<string>();
  const dirs = new Set<string>();
  for (const b of plan.bundles) {
    assertRelPath(b.dir, `directory of bundle ${b.id}`);
    if (b.dir.split('/')[0] === LAYOUT.stateDir) {
      throw new WriteError(WRITE_CODES.badPath, `Bundle ${b.id} cannot live in ${LAYOUT.stateDir}/, eegen's state directory.`, { path: b.dir });
    }
    if (ids.has(b.id) || dirs.has(b.dir)) {
      throw new WriteError(WRITE_CODES.duplicateBundle, `Two bundles share the ${ids.has(b.id) ? `id ${b.id}` : `directory ${b.dir}`}.`, {
        path: b.dir,
        hint: 'Bundle ids come from parameter values; make the swept values distinguishable.',
      });
    }
    ids.add(b.id);
    dirs.add(b.dir);
    for (const f of b.files) assertRelPath(f.path, `file of bundle ${b.id}`);
  }
  for (const d of dirs) {
    const outer = ancestors(d).find((a) => dirs.has(a));
    if (outer) throw new WriteError(WRITE_CODES.nestedBundle, `Bundle directory ${d} lies inside bundle directory ${outer}.`, { path: d });
  }
  const sidePaths = new Set<string>();
  for (const f of plan.sideFiles) {
    assertRelPath(f.path, 'side file');
    const clash =
      f.path.split('/')[0] === LAYOUT.stateDir || sidePaths.has(f.path) || dirs.has(f.path) || ancestors(f.path).some((a) => dirs.has(a)) || [...dirs].some((d) => isWithin(d, f.path));
    if (clash) {
      throw new WriteError(WRITE_CODES.sideFileConflict, `The side file ${f.path} collides with a bundle directory, another side file or ${LAYOUT.stateDir}/.`, { path: f.path });
    }
    sidePaths.add(f.path);
  }
}
