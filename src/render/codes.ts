/**
 * Diagnostic codes of the render stage (EG4xxx). Stable: a code keeps its meaning.
 */
export const RENDER_CODES = {
  /** The template file cannot be read. */
  templateUnreadable: 'EG4001',
  /** A placeholder in a cloudmesh template refers to nothing. */
  unknownPlaceholder: 'EG4002',
  /** `{experimnt.epoch}`: unknown first segment close to a known one; left as written. */
  nearMissPlaceholder: 'EG4003',
  /** A value that cannot be placed safely at its position in the script. */
  unsafeValue: 'EG4004',
  /** The template ends inside a quote, substitution or here-document. */
  unbalancedTemplate: 'EG4005',
  /** Eta template syntax error. */
  etaSyntax: 'EG4006',
  /** Eta template runtime error (undefined variable, exception in template code). */
  etaRuntime: 'EG4007',
  /** An error: an #SBATCH line after the first command at the script's top level; sbatch ignores it. */
  directiveAfterCommand: 'EG4008',
  /** A mapping or list placed into cloudmesh template text. */
  structuredValue: 'EG4009',
  /**
   * An error: the bundle's directive name (experiment.directive, else experiment.card_name)
   * is not an entry of the host profile's directives: table, which has entries; reported at
   * the value in the config, naming the entries nearest first. experiment.gpu chooses an
   * entry only when it names one (otherwise it is a parameter, often a GPU count) and is
   * never reported; a profile without a table never reports.
   */
  unknownDirective: 'EG4010',
  /** A value that cannot be written into a #SBATCH/#BSUB directive (newline, control character). */
  badDirectiveValue: 'EG4011',
  /** --strict: placeholder-shaped text (`{word}`, `{a.b}`) whose first segment is no key or namespace, left as written. */
  leftAsText: 'EG4012',
  /** An Eta template still rendering after the time limit (sandbox.ts RENDER_TIMEOUT_MS). */
  etaTimeout: 'EG4013',
  /**
   * A warning: a line starting with #BSUB after the first command that the header does not
   * already have. bsub reads every such line of the script, wherever it is (also inside a
   * quoted string or a here-document, which it does not parse), so LSF applies it.
   */
  bsubAfterCommand: 'EG4014',
  /** No profile of that name in any searched folder. */
  profileNotFound: 'EG4020',
  /** A profile name that is not a plain file name. */
  profileBadName: 'EG4021',
} as const;
