import { readFile } from 'node:fs/promises';
import { diag, type Diagnostic } from '../diagnostics/index.js';
import { parseYaml, type LoadResult } from './yaml.js';

export { parseYaml, toYaml, type LoadResult } from './yaml.js';

/** Read and parse a YAML file; a missing or unreadable file is a diagnostic, not a throw. */
export async function loadYamlFile(file: string): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const what = err.code === 'ENOENT' ? 'does not exist' : err.code === 'EISDIR' ? 'is a directory' : `cannot be read (${err.code ?? err.message})`;
    const diagnostics: Diagnostic[] = [diag('EG1010', `The file ${file} ${what}.`, undefined, 'Check the path; it is resolved relative to the current directory.')];
    return { diagnostics };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return parseYaml(file, text);
}
