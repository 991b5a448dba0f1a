/**
 * Diagnostic codes of the resolve stage (EG3050-EG3099). Codes are stable: once
 * published, a code keeps its meaning, so users and tests can search for it.
 */
export const RESOLVE_CODES = {
  /** `{experiment.epoc}`: the first segment is known, a later one is not. */
  unknownReference: 'EG3050',
  /** `a: "{b}"`, `b: "{a}"`: a chain of references that never ends. */
  referenceCycle: 'EG3051',
  /** `{aplication.name}` in a config value: the first segment is unknown but close to a key or namespace. */
  nearMissPlaceholder: 'EG3052',
  /** `{os}`, `{os.A.B}`, `{os.MY-VAR}`: not an environment variable name. */
  invalidEnvReference: 'EG3053',
  /** A mapping or list referenced inside a longer string. */
  structuredInString: 'EG3054',
  /** `{slurm.sbatch}` / `{lsf.bsub}` in a config value: they exist only in templates. */
  templateOnlyNamespace: 'EG3055',
  /** A value that cannot be placed safely into a shell-text field (run.command, resources.setup). */
  unsafeShellValue: 'EG3056',
  /** A shell-text field whose quoting cannot be followed (ends inside a quote, ...). */
  unbalancedShellText: 'EG3057',
} as const;

export type ResolveCode = (typeof RESOLVE_CODES)[keyof typeof RESOLVE_CODES];
