/**
 * Host/site profiles: data files (YAML) that hold everything site-specific templates
 * may read: scheduler, user and home on that host, and which directives each GPU type
 * needs. Searched in the given folders in order (the project's first), then eegen's
 * built-in profiles/. Validated against schemas/profile.schema.json.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { nearestFirst } from './directive-table.js';
import { diag, hasErrors, nearest, type Diagnostic, type Span } from '../diagnostics/index.js';
import { loadYamlFile } from '../load/index.js';
import type { HostProfile } from '../types.js';
import { validateDocument } from '../validate/index.js';
import { RENDER_CODES as C } from './codes.js';
import { PACKAGE_ROOT } from './template.js';

export const BUILTIN_PROFILE_DIR = path.join(PACKAGE_ROOT, 'profiles');
const EXTENSIONS = ['.yaml', '.yml'];

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

async function namesIn(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((f) => EXTENSIONS.some((e) => f.endsWith(e))).map((f) => f.replace(/\.ya?ml$/, ''));
  } catch {
    return [];
  }
}

/** Shorter names in messages for files below the current directory. */
function shown(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/**
 * Find, load and validate profile `name` (e.g. `rivanna`). `where` is the place that named
 * it (the value of `system.host` in the config): a missing or malformed name is reported there.
 */
export async function loadProfile(name: string, searchDirs: string[], where?: Span): Promise<{ profile?: HostProfile; diagnostics: Diagnostic[] }> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    return { diagnostics: [diag(C.profileBadName, `"${name}" is not a profile name.`, where, 'A profile name is a file name without extension, such as "rivanna"; it names profiles/NAME.yaml.')] };
  }
  const dirs = [...new Set([...searchDirs, BUILTIN_PROFILE_DIR].map((d) => path.resolve(d)))];
  for (const dir of dirs) {
    for (const ext of EXTENSIONS) {
      const file = path.join(dir, name + ext);
      if (!(await isFile(file))) continue;
      const { loaded, diagnostics } = await loadYamlFile(shown(file));
      if (!loaded || hasErrors(diagnostics)) return { diagnostics };
      diagnostics.push(...validateDocument(loaded, 'profile'));
      if (hasErrors(diagnostics)) return { diagnostics };
      const data = loaded.data as Record<string, unknown>;
      const profile = { ...data, name: typeof data.name === 'string' ? data.name : name } as HostProfile;
      return { profile, diagnostics };
    }
  }
  const known = [...new Set((await Promise.all(dirs.map(namesIn))).flat())].sort();
  const near = nearest(name, known);
  const ranked = nearestFirst(name, known);
  return {
    diagnostics: [
      diag(
        C.profileNotFound,
        `No host profile "${name}": eegen looked for ${name}.yaml in ${dirs.map(shown).join(', ')}; the profiles there are ${ranked.join(', ') || '(none)'}.`,
        where,
        near ? `Did you mean "${near}"?` : `Create profiles/${name}.yaml beside the config, or name one of the profiles above.`,
      ),
    ],
  };
}
