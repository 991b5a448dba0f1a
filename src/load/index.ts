import { diag, type Diagnostic } from '../diagnostics/index.js';
import { InputFileError, readInputFile } from './read.js';
import { parseYaml, type LoadResult } from './yaml.js';

export { parseYaml, toYaml, type LoadResult } from './yaml.js';
export { COPY_LIMIT, InputFileError, readInputFile, TEXT_LIMIT } from './read.js';

/** Read and parse a YAML file; a missing or unreadable file is a diagnostic, not a throw. */
export async function loadYamlFile(file: string): Promise<LoadResult> {
  let text: string;
  try {
    text = (await readInputFile(file)).toString('utf8');
  } catch (e) {
    if (!(e instanceof InputFileError)) throw e;
    const what = e.what;
    const diagnostics: Diagnostic[] = [diag('EG1010', `The file ${file} ${what}.`, undefined, 'Check the path; it is resolved relative to the current directory.')];
    return { diagnostics };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return parseYaml(file, text);
}
