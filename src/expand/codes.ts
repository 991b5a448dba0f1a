/**
 * Diagnostic codes of the expand stage (EG3001-EG3049). Codes are stable: never
 * renumber or reuse one; add new ones at the end of their group.
 */
export const EXPAND_CODES = {
  /** `experiment:` is not a mapping. */
  experimentShape: 'EG3001',
  /** An empty comma string (`""`, or one of empty items only: `","`), an empty list. */
  emptyValues: 'EG3002',
  /** A bracket range that cannot be read: `[3-1]`, `[a-z]`, `[1-`, a stray `]`. */
  badHostlist: 'EG3003',
  /** A numeric range mapping with a missing/non-numeric bound, step 0, a step of the wrong sign, a bad `num` or `scale`. */
  badRange: 'EG3004',
  /** A mapping under `experiment:` that is none of {from,to,step}, {from,to,num,scale}, {values}. */
  unknownValueForm: 'EG3005',
  /** One key would expand to more than MAX_DIMENSION_VALUES values. */
  dimensionTooLarge: 'EG3006',
  /**
   * A warning: a comma-string item left out, as cloudmesh-ee leaves it out: an empty item
   * (`"1,,2"`, `"1,"`) or one that repeats an earlier value (`"1,1,2"`, `"[1-3],2"`,
   * `"1,1.0"`). The first of each value is kept, in order. Points at the dropped item.
   */
  itemDropped: 'EG3007',
  /**
   * A warning: cloudmesh's colon rule (`"gpu:a100,v100"` -> gpu:a100, gpu:v100) is not
   * applied because the first item's colon is a time's (`"00:05:00,10"`) or a URL's or
   * path's (`"https://h/a,b"`); the items stay as written, where cloudmesh would prefix them.
   */
  colonPrefixKept: 'EG3008',

  /** `sweep:` is not a mapping, or has a key eegen does not know. */
  sweepShape: 'EG3010',
  /** `sweep.zip` is not a list of groups, or a group is not a list / comma string of key names. */
  zipShape: 'EG3011',
  /** A zip group names a key that is not under `experiment:`. */
  zipUnknownKey: 'EG3012',
  /** A key appears twice in zip groups. */
  zipDuplicateKey: 'EG3013',
  /** The keys of a zip group have different numbers of values. */
  zipLengthMismatch: 'EG3014',

  /** An expression does not parse. */
  exprSyntax: 'EG3020',
  /** An expression (or an exclude pattern) names an unknown parameter. */
  exprUnknownName: 'EG3021',
  /** An expression calls an unknown function or passes the wrong number of arguments. */
  exprBadCall: 'EG3022',
  /** Evaluating a rule failed for a combination (division by zero, wrong type, ...). */
  evalFailed: 'EG3023',

  /** `sweep.derive` is not a mapping, or an entry is not an expression string or a scalar. */
  deriveShape: 'EG3030',
  /** A derived name is already an experiment key (or `repeat` added by sweep.repeat). */
  deriveCollision: 'EG3031',
  /** `sweep.exclude` is not a list, or an entry is not a pattern mapping, a string or {when, reason}. */
  excludeShape: 'EG3032',

  /** `sweep.repeat` is not a positive integer. */
  repeatInvalid: 'EG3040',
  /** `sweep.repeat` is set and `experiment.repeat` exists too. */
  repeatCollision: 'EG3041',
  /** `sweep.sample` has a bad count, method or seed. */
  sampleInvalid: 'EG3042',
  /** `sweep.limit` is not a positive integer. */
  limitInvalid: 'EG3043',
  /** The product is too large to enumerate at all (beyond 2^53 combinations). */
  productTooLarge: 'EG3044',
} as const;

/** Most values one experiment key may expand to (ranges and bracket ranges are materialised). */
export const MAX_DIMENSION_VALUES = 1_000_000;

/** `sweep.limit` when not given. */
export const DEFAULT_LIMIT = 10_000;

/** Evaluation errors kept per run (the rest are counted). */
export const MAX_EVAL_ERRORS = 10;
