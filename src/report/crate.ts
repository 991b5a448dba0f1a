/**
 * `eegen report --crate`: `ro-crate-metadata.json`, an RO-Crate 1.1 that follows the
 * Workflow Run Crate profile (and Process Run Crate, which it extends), so a study can be
 * deposited and cited as it is. The report directory is the crate:
 *
 *   - the main workflow is each study's config as eegen compiled it (`studies/S/index.json`,
 *     a copy of OUT/index.json: every bundle and its parameters), a File,
 *     SoftwareSourceCode and ComputationalWorkflow whose inputs are the swept parameters
 *     (FormalParameter);
 *   - each bundle is one CreateAction of that workflow: its parameter values (PropertyValue,
 *     exampleOfWork the parameter) as `object`, its state as `actionStatus` (and the note
 *     as `error` when it failed), start and end times as recorded, the host as `location`
 *     (a Place whose `additionalProperty` are the fingerprints recorded there) and the
 *     results file its row lies in as `result`;
 *   - collect's results files are copied beside it (`studies/S/results.jsonl`, `.csv`);
 *   - with `eegen report --config FILE`, the config itself (`config/NAME`), a File and
 *     SoftwareSourceCode that each study built from it is `isBasedOn` (the one study, or
 *     those whose name is the config's);
 *   - the report's own files are the `result` of one more CreateAction whose `instrument`
 *     is eegen (SoftwareApplication, its version) and whose `object` are the results.
 *
 * Deterministic: the same studies give the same bytes. There is no wall-clock time in it:
 * datePublished is the latest time the records hold. Only terms of the RO-Crate 1.1
 * context are used; validateCrate() checks a crate against the copy shipped in
 * schemas/ro-crate/ (no network).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { diag, DiagnosticError, type Diagnostic } from '../diagnostics/index.js';
import { num, str, type Study } from './study.js';

export const CRATE_CODES = { badLicense: 'EG8106', noDate: 'EG8107' } as const;

export const CRATE_FILE = 'ro-crate-metadata.json';
export const RO_CRATE = 'https://w3id.org/ro/crate/1.1';
export const RO_CRATE_CONTEXT = 'https://w3id.org/ro/crate/1.1/context';
/** The profiles the root conforms to, with their names and versions. */
export const CRATE_PROFILES: readonly { id: string; name: string; version: string }[] = [
  { id: 'https://w3id.org/ro/wfrun/process/0.5', name: 'Process Run Crate', version: '0.5' },
  { id: 'https://w3id.org/ro/wfrun/workflow/0.5', name: 'Workflow Run Crate', version: '0.5' },
  { id: 'https://w3id.org/workflowhub/workflow-ro-crate/1.0', name: 'Workflow RO-Crate', version: '1.0' },
];

export interface CrateOptions {
  /** eegen's version (the SoftwareApplication). */
  version: string;
  /** The report's own files (path in the report directory -> bytes). */
  reportFiles: ReadonlyMap<string, Buffer>;
  /** An SPDX license identifier (`CC-BY-4.0`) or a license URL for the study's data. */
  license?: string;
  /** The experiment config the studies were built from (report --config): its file name, bytes and `name:`. */
  config?: { file: string; bytes: Buffer; name?: string };
}

type Ref = { '@id': string };
type Entity = { '@id': string; '@type': string | string[] } & Record<string, unknown>;

const ref = (id: string): Ref => ({ '@id': id });
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
/** A path in the crate as a relative URI (each segment percent-encoded). */
const uriOf = (rel: string): string => rel.split('/').map(encodeURIComponent).join('/');
const frag = (...parts: string[]): string => `#${parts.map(encodeURIComponent).join('/')}`;
/** schema.org's sha256 came after the 10.0 the RO-Crate 1.1 context is made from: written as its full IRI. */
export const SHA256 = 'http://schema.org/sha256';
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

const FORMATS: Record<string, string> = { '.md': 'text/markdown', '.html': 'text/html', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json', '.jsonl': 'application/x-ndjson', '.csv': 'text/csv' };
const formatOf = (rel: string): string => FORMATS[path.extname(rel)] ?? 'application/octet-stream';

/** eegen's run states as schema.org ActionStatusType. */
function actionStatus(state: string | undefined): string {
  if (state === 'done') return 'CompletedActionStatus';
  if (state === 'running') return 'ActiveActionStatus';
  if (state === undefined || ['built', 'synced', 'submitted', 'queued'].includes(state)) return 'PotentialActionStatus';
  return 'FailedActionStatus';
}

/** One directory name per study inside the crate: OUT's own name, numbered when two share it. */
function studySlugs(studies: readonly Study[]): string[] {
  const seen = new Set<string>();
  return studies.map((s) => {
    const base = path.basename(path.resolve(s.out)).replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '') || 'study';
    let slug = base;
    for (let n = 2; seen.has(slug); n++) slug = `${base}-${n}`;
    seen.add(slug);
    return slug;
  });
}

/** The license entity of the crate; a license that is neither an SPDX identifier nor a URL is EG8104. */
export function licenseEntity(license: string | undefined): Entity {
  if (license === undefined) {
    return { '@id': '#license', '@type': 'CreativeWork', name: 'No license chosen', description: 'The study was exported without a license. Choose one before depositing it: eegen report --crate --license SPDX-ID.' };
  }
  if (/^https?:\/\/\S+$/.test(license)) return { '@id': license, '@type': 'CreativeWork', name: license, url: license };
  if (/^[A-Za-z0-9][A-Za-z0-9.+-]*$/.test(license)) return { '@id': `https://spdx.org/licenses/${license}`, '@type': 'CreativeWork', name: license, identifier: license };
  throw new DiagnosticError(diag(CRATE_CODES.badLicense, `"${license}" is neither an SPDX license identifier nor a URL.`, undefined, 'Give an SPDX identifier (--license CC-BY-4.0) or the license\'s URL.'));
}

const typeOf = (values: unknown[]): string => (values.every((v) => Number.isInteger(v)) ? 'Integer' : values.every((v) => typeof v === 'number') ? 'Float' : values.every((v) => typeof v === 'boolean') ? 'Boolean' : 'Text');
const text = (v: unknown): string | number | boolean => (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : JSON.stringify(v));

/** The config schema's URL index.json names (`schema`), when it is one. */
function schemaOf(index: Buffer | undefined): string | undefined {
  try {
    const url = (JSON.parse(index!.toString('utf8')) as { schema?: unknown }).schema;
    return typeof url === 'string' && /^https?:\/\/\S+$/.test(url) ? url : undefined;
  } catch {
    return undefined;
  }
}

/** The crate's copies of one study's files: index.json, results.jsonl and, if there, results.csv. */
async function studyFiles(s: Study, slug: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const name of ['index.json', 'results.jsonl', 'results.csv']) {
    const bytes = await readFile(path.join(s.out, name)).catch(() => undefined);
    if (bytes) files.set(`studies/${slug}/${name}`, bytes);
  }
  return files;
}

/**
 * The crate of a report: ro-crate-metadata.json and the copies of the studies' files it
 * describes (paths in the report directory -> bytes), with its warnings.
 */
export async function crateFiles(studies: readonly Study[], opts: CrateOptions): Promise<{ files: Map<string, Buffer>; diagnostics: Diagnostic[] }> {
  const license = licenseEntity(opts.license);
  const slugs = studySlugs(studies);
  const files = new Map<string, Buffer>();
  for (const [i, s] of studies.entries()) for (const [rel, b] of await studyFiles(s, slugs[i]!)) files.set(rel, b);

  const graph: Entity[] = [];
  const fileEntity = (rel: string, bytes: Buffer, extra: Record<string, unknown>): Entity => ({ '@id': uriOf(rel), '@type': 'File', ...extra, encodingFormat: formatOf(rel), contentSize: String(bytes.length), [SHA256]: sha(bytes) });
  const hosts = new Map<string, Map<string, string | number>>();
  const actions: Entity[] = [];
  const workflows: string[] = [];
  const results: string[] = [];
  let latest: { ms: number; text: string } | undefined;
  const configRel = opts.config ? `config/${path.basename(opts.config.file)}` : undefined;
  if (opts.config && configRel) {
    files.set(configRel, opts.config.bytes);
    graph.push(fileEntity(configRel, opts.config.bytes, { '@type': ['File', 'SoftwareSourceCode'], name: path.basename(opts.config.file), description: 'The experiment config (YAML) the studies were built from, as given to eegen report --config.', programmingLanguage: ref('#eegen-config') }));
  }
  const builtFrom = (s: Study) => configRel !== undefined && (studies.length === 1 || (opts.config!.name !== undefined && s.name === opts.config!.name));

  for (const [i, s] of studies.entries()) {
    const slug = slugs[i]!;
    const name = s.name ?? slug;
    const dir = `studies/${slug}`;
    const wf = uriOf(`${dir}/index.json`);
    const index = files.get(`${dir}/index.json`) ?? Buffer.from(JSON.stringify({ bundles: s.bundles }));
    files.set(`${dir}/index.json`, index);
    const resultsId = uriOf(`${dir}/results.jsonl`);
    const params = s.varying.map((k) => ({ k, id: frag(slug, 'param', k), values: s.bundles.map((b) => b.params[k]).filter((v) => v !== undefined) }));
    workflows.push(wf);
    graph.push(
      fileEntity(`${dir}/index.json`, index, {
        '@type': ['File', 'SoftwareSourceCode', 'ComputationalWorkflow'],
        name,
        description: `The experiment ${name} as eegen compiled its config: every bundle (one parameter combination each) and its parameters${s.eegen ? `, built by eegen ${s.eegen}` : ''}. A copy of ${path.basename(s.out)}/index.json.`,
        programmingLanguage: ref('#eegen-config'),
        input: params.map((p) => ref(p.id)),
        ...(builtFrom(s) ? { isBasedOn: ref(uriOf(configRel!)) } : {}),
      }),
    );
    for (const p of params) graph.push({ '@id': p.id, '@type': 'FormalParameter', name: p.k, additionalType: typeOf(p.values), description: `The swept parameter experiment.${p.k} of ${name}.` });
    const values = new Map<string, Entity>();
    const valueRef = (k: string, v: unknown): Ref => {
      const id = frag(slug, 'value', k, String(text(v)));
      if (!values.has(id)) values.set(id, { '@id': id, '@type': 'PropertyValue', name: k, value: text(v), exampleOfWork: ref(frag(slug, 'param', k)) });
      return ref(id);
    };
    for (const rel of [`${dir}/results.jsonl`, `${dir}/results.csv`]) {
      const bytes = files.get(rel);
      if (!bytes) continue;
      results.push(uriOf(rel));
      graph.push(fileEntity(rel, bytes, { name: `${path.basename(rel)} of ${name}`, description: `One row per bundle of ${name}, as eegen collect wrote it (docs/formats.md).` }));
    }
    for (const b of s.bundles) {
      const row = s.rows.get(b.id);
      const state = str(row?.state);
      const host = str(row?.host);
      const action: Entity = {
        '@id': frag('run', slug, b.id),
        '@type': 'CreateAction',
        name: `Bundle ${b.id} of ${name}`,
        identifier: b.id,
        instrument: ref(wf),
        object: Object.keys(b.params).filter((k) => s.varying.includes(k)).map((k) => valueRef(k, b.params[k])),
        actionStatus: ref(`http://schema.org/${actionStatus(state)}`),
      };
      const facts = [`state ${state ?? 'not collected'}`];
      if (row) {
        if (num(row.exitCode) !== undefined) facts.push(`exit code ${row.exitCode}`);
        if (str(row.signal)) facts.push(`signal ${row.signal}`);
        if (num(row.run) !== undefined) facts.push(`run ${row.run}`);
        if (str(row.jobId)) facts.push(`job ${row.jobId}`);
        if (num(row.duration_s) !== undefined) facts.push(`${row.duration_s} s`);
        for (const key of ['start', 'end'] as const) {
          const t = str(row[key]);
          if (!t || !ISO_TIME.test(t)) continue;
          action[key === 'start' ? 'startTime' : 'endTime'] = t;
          if (!latest || Date.parse(t) > latest.ms) latest = { ms: Date.parse(t), text: t };
        }
        if (actionStatus(state) === 'FailedActionStatus' && str(row.note)) action.error = row.note;
        action.result = ref(resultsId);
      }
      action.description = `${facts.join(', ')}.`;
      if (host) {
        action.location = ref(frag('host', host));
        const fp = hosts.get(host) ?? new Map<string, string | number>();
        for (const [k, v] of Object.entries(row!)) if (k.startsWith('fp.') && (typeof v === 'string' || typeof v === 'number') && v !== '') fp.set(`${k}=${v}`, v);
        hosts.set(host, fp);
      }
      actions.push(action);
    }
    graph.push(...values.values());
  }
  for (const [host, fp] of [...hosts].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const props = [...fp].sort(([a], [b]) => (a < b ? -1 : 1)).map(([kv, v]) => ({ '@id': frag('host', host, kv), '@type': 'PropertyValue', name: kv.slice(0, kv.indexOf('=')), value: v }) as Entity);
    graph.push({ '@id': frag('host', host), '@type': 'Place', name: host, description: `Host ${host}, as the runs recorded it${props.length ? ' (fingerprints of the machines the bundles ran on)' : ''}.`, additionalProperty: props.map((p) => ref(p['@id'])) }, ...props);
  }
  graph.push(...actions);

  const reportIds: string[] = [];
  for (const [rel, bytes] of [...opts.reportFiles].sort(([a], [b]) => (a < b ? -1 : 1))) {
    reportIds.push(uriOf(rel));
    graph.push(fileEntity(rel, bytes, { name: rel, about: ref('#report') }));
  }
  graph.push({ '@id': '#report', '@type': 'CreateAction', name: 'eegen report', description: `The report (summary, charts, HTML) of ${studies.map((s, i) => s.name ?? slugs[i]).join(', ')}.`, instrument: ref('#eegen'), object: [...workflows, ...results].map(ref), result: reportIds.map(ref), actionStatus: ref('http://schema.org/CompletedActionStatus') });

  const diagnostics: Diagnostic[] = [];
  const schema = schemaOf(files.get(`studies/${slugs[0]}/index.json`));
  const names = studies.map((s, i) => s.name ?? slugs[i]!);
  const root: Entity = {
    '@id': './',
    '@type': 'Dataset',
    name: `eegen study: ${names.join(', ')}`,
    description: `${studies.length === 1 ? 'A study' : `${studies.length} studies`} built and run by eegen (${names.join(', ')}): ${actions.length} bundle runs, their parameters, states, times and hosts, the collected results and the report.`,
  };
  if (latest) root.datePublished = latest.text;
  else diagnostics.push({ ...diag(CRATE_CODES.noDate, `No run of ${names.join(', ')} recorded a start or end time, so the crate has no datePublished (RO-Crate asks for one).`, undefined, 'Collect again once bundles have run: eegen collect OUT, then eegen report OUT --crate.'), severity: 'warning' });
  Object.assign(root, {
    license: ref(license['@id']),
    conformsTo: CRATE_PROFILES.map((p) => ref(p.id)),
    mainEntity: ref(workflows[0]!),
    hasPart: [...workflows, ...results, ...reportIds, ...(configRel ? [uriOf(configRel)] : [])].sort().map(ref),
    mentions: [...actions.map((a) => a['@id']), '#report'].map(ref),
  });
  const head: Entity[] = [
    { '@id': CRATE_FILE, '@type': 'CreativeWork', conformsTo: [ref(RO_CRATE), ref(CRATE_PROFILES[2]!.id)], about: ref('./') },
    root,
    ...CRATE_PROFILES.map((p) => ({ '@id': p.id, '@type': 'CreativeWork', name: p.name, version: p.version })),
    license,
    { '@id': '#eegen', '@type': 'SoftwareApplication', name: 'eegen', softwareVersion: opts.version, description: 'Compiles experiment sweeps into reproducible, runnable job bundles for Slurm, LSF and plain bash; runs, collects and reports them.', license: ref('https://spdx.org/licenses/Apache-2.0') },
    { '@id': '#eegen-config', '@type': 'ComputerLanguage', name: 'eegen experiment config', description: 'A YAML experiment description (cloudmesh-ee compatible) that eegen compiles into one job bundle per parameter combination.', ...(schema ? { url: schema } : {}) },
  ];
  const doc = { '@context': RO_CRATE_CONTEXT, '@graph': [...head, ...graph] };
  files.set(CRATE_FILE, Buffer.from(`${JSON.stringify(doc, null, 2)}\n`));
  return { files, diagnostics };
}

let shippedTerms: Promise<Set<string>> | undefined;
/** The terms of the RO-Crate 1.1 context shipped in schemas/ro-crate/ (read once; it never changes). */
function contextTerms(): Promise<Set<string>> {
  shippedTerms ??= readFile(new URL('../../schemas/ro-crate/context-1.1.jsonld', import.meta.url), 'utf8').then((t) => new Set(Object.keys((JSON.parse(t) as { '@context': Record<string, unknown> })['@context'])));
  return shippedTerms;
}

const ACTION_STATUS = new Set(['ActiveActionStatus', 'CompletedActionStatus', 'FailedActionStatus', 'PotentialActionStatus'].map((s) => `http://schema.org/${s}`));
const ABSOLUTE = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const ISO_DATE = /^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?)?)?$/;
const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const idsOf = (v: unknown): string[] => list(v).flatMap((x) => (x !== null && typeof x === 'object' && typeof (x as Ref)['@id'] === 'string' ? [(x as Ref)['@id']] : []));

/**
 * What is wrong with the crate in `dir` (nothing: []), checked against the RO-Crate 1.1
 * context shipped with eegen: the metadata descriptor and the root data entity as the
 * specification requires them (and the profiles' conformsTo, the main workflow); every
 * property and type a term of the context or a full IRI; the graph flat (values are
 * literals or {"@id"} references); every reference an entity of the graph, an absolute
 * URI or a file of the crate; every File there, listed in the root's hasPart, with the
 * size and sha256 the crate says; every CreateAction with an instrument and a valid status.
 */
export async function validateCrate(dir: string): Promise<string[]> {
  const problems: string[] = [];
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(await readFile(path.join(dir, CRATE_FILE), 'utf8')) as Record<string, unknown>;
  } catch (e) {
    return [`${CRATE_FILE} cannot be read as JSON: ${(e as Error).message}`];
  }
  const terms = await contextTerms();
  if (doc['@context'] !== RO_CRATE_CONTEXT) problems.push(`@context is ${JSON.stringify(doc['@context'])}, not "${RO_CRATE_CONTEXT}"`);
  for (const k of Object.keys(doc)) if (k !== '@context' && k !== '@graph') problems.push(`${k} beside @context and @graph`);
  const graph = Array.isArray(doc['@graph']) ? (doc['@graph'] as Entity[]) : [];
  if (!graph.length) problems.push('@graph is not a list of entities');
  const byId = new Map<string, Entity>();
  for (const e of graph) {
    if (e === null || typeof e !== 'object' || typeof e['@id'] !== 'string') problems.push(`an entity without an @id: ${JSON.stringify(e).slice(0, 80)}`);
    else if (byId.has(e['@id'])) problems.push(`${e['@id']} is in @graph twice`);
    else byId.set(e['@id'], e);
  }
  const known = (term: string): boolean => terms.has(term) || ABSOLUTE.test(term);
  const types = (e: Entity | undefined): string[] => list(e?.['@type']).filter((t): t is string => typeof t === 'string');
  /** A relative @id as a path inside the crate, or undefined when it leaves it. */
  const fileOf = (id: string): string | undefined => {
    let rel: string;
    try {
      rel = decodeURIComponent(id.split('#')[0]!);
    } catch {
      return undefined;
    }
    const abs = path.resolve(dir, rel);
    return abs === path.resolve(dir) || abs.startsWith(path.resolve(dir) + path.sep) ? abs : undefined;
  };
  const exists = async (file: string | undefined): Promise<Buffer | 'dir' | undefined> => (file === undefined ? undefined : readFile(file).catch((e: NodeJS.ErrnoException) => (e.code === 'EISDIR' ? ('dir' as const) : undefined)));

  for (const e of byId.values()) {
    const id = e['@id'];
    if (!types(e).length) problems.push(`${id} has no @type`);
    for (const t of types(e)) if (!known(t)) problems.push(`${id}: type "${t}" is not a term of the RO-Crate 1.1 context`);
    for (const [k, v] of Object.entries(e)) {
      if (k === '@id' || k === '@type') continue;
      if (k.startsWith('@') || !known(k)) problems.push(`${id}: "${k}" is not a term of the RO-Crate 1.1 context`);
      for (const x of list(v)) {
        if (x === null || typeof x !== 'object') continue;
        const keys = Object.keys(x);
        if (keys.length !== 1 || keys[0] !== '@id' || typeof (x as Ref)['@id'] !== 'string') {
          problems.push(`${id}: ${k} holds a nested object (a flat graph refers to entities by {"@id"})`);
          continue;
        }
        const target = (x as Ref)['@id'];
        if (byId.has(target) || ABSOLUTE.test(target)) continue;
        if (target.startsWith('#')) problems.push(`${id}: ${k} refers to ${target}, which is no entity of the crate`);
        else if (!(await exists(fileOf(target)))) problems.push(`${id}: ${k} refers to ${target}, which is neither an entity nor a file of the crate`);
      }
    }
  }

  const descriptor = byId.get(CRATE_FILE);
  if (!descriptor) problems.push(`no metadata descriptor (@id "${CRATE_FILE}")`);
  else {
    if (!types(descriptor).includes('CreativeWork')) problems.push(`${CRATE_FILE} is not a CreativeWork`);
    if (idsOf(descriptor.about)[0] !== './') problems.push(`${CRATE_FILE} is not about "./"`);
    if (!idsOf(descriptor.conformsTo).includes(RO_CRATE)) problems.push(`${CRATE_FILE} does not conform to ${RO_CRATE}`);
  }
  const root = byId.get('./');
  const parts = new Set(idsOf(root?.hasPart));
  if (!root) problems.push('no root data entity (@id "./")');
  else {
    if (!types(root).includes('Dataset')) problems.push('the root data entity is not a Dataset');
    for (const k of ['name', 'description', 'datePublished', 'license']) if (root[k] === undefined) problems.push(`the root data entity has no ${k}`);
    if (root.datePublished !== undefined && !(typeof root.datePublished === 'string' && ISO_DATE.test(root.datePublished))) problems.push(`datePublished ${JSON.stringify(root.datePublished)} is not ISO 8601`);
    const conforms = idsOf(root.conformsTo);
    for (const p of CRATE_PROFILES) {
      if (!conforms.includes(p.id)) problems.push(`the root does not list the profile ${p.id} in conformsTo`);
      else if (!types(byId.get(p.id)).includes('CreativeWork')) problems.push(`the profile ${p.id} is not a CreativeWork entity of the crate`);
    }
    const main = idsOf(root.mainEntity)[0];
    const wf = types(byId.get(main ?? ''));
    if (!main || !['File', 'SoftwareSourceCode', 'ComputationalWorkflow'].every((t) => wf.includes(t))) problems.push(`the mainEntity ${main ?? '(none)'} is not a File, SoftwareSourceCode and ComputationalWorkflow`);
  }
  for (const e of byId.values()) {
    const id = e['@id'];
    if (types(e).includes('File') && !id.startsWith('#') && !ABSOLUTE.test(id)) {
      const bytes = await exists(fileOf(id));
      if (!Buffer.isBuffer(bytes)) problems.push(`${id} is a File of the crate, but there is no such file`);
      else {
        if (typeof e[SHA256] === 'string' && sha(bytes) !== e[SHA256]) problems.push(`${id} has changed since the crate was written (sha256)`);
        if (typeof e.contentSize === 'string' && String(bytes.length) !== e.contentSize) problems.push(`${id} is ${bytes.length} bytes, the crate says ${e.contentSize}`);
      }
      if (!parts.has(id)) problems.push(`${id} is not in the root's hasPart`);
    }
    if (types(e).includes('CreateAction')) {
      const instrument = idsOf(e.instrument);
      if (!instrument.length) problems.push(`${id} has no instrument`);
      for (const s of idsOf(e.actionStatus)) if (!ACTION_STATUS.has(s)) problems.push(`${id}: ${s} is not an ActionStatusType`);
    }
  }
  return problems;
}
