/**
 * Diagnostic codes of the workflow coordinator (spec, labels, run): EG7100-EG7199. The
 * EG7xxx range is shared with the run-record readers (results/codes.ts, EG7001-EG7099):
 * both read what a run leaves behind; the hundreds keep them apart. A schema error of a
 * workflow file keeps its validate code (EG2xxx), as for configs.
 */
export const WORKFLOW_CODES = {
  /** A node's `name:` differs from its key (cloudmesh requires them equal). */
  nameMismatch: 'EG7101',
  /** A node name eegen cannot use (characters, length, or a reserved name). */
  badNodeName: 'EG7102',
  /** A dependency names a node that does not exist. */
  unknownNode: 'EG7103',
  /** The dependencies form a cycle. */
  cycle: 'EG7104',
  /** A dependency chain string that does not parse (empty item, bad bracket range). */
  badChain: 'EG7105',
  /** A node's host is not in the inventory. */
  unknownHost: 'EG7106',
  /** A node's `kind:` contradicts its host's kind in the inventory. */
  kindMismatch: 'EG7107',
  /** A node with both `script` and `exec`, or (other than start/end) with neither. */
  noCommand: 'EG7108',
  /** A node's script file cannot be read. */
  badScript: 'EG7109',
  /** A node kind that cannot run where it is: wsl on a host other than this machine, or an experiment of kind wsl. */
  unsupportedKind: 'EG7110',
  /** A WSL distribution name that could be read as an option or holds control characters. */
  badDistribution: 'EG7117',
  /** A `timeout:` that is not a positive duration. */
  badTimeout: 'EG7111',
  /** A node key one or two letters from one of eegen's (a warning: it may be the user's own). */
  nearKey: 'EG7113',
  /** A chain of one node orders nothing (a warning: in YAML, [a,b] is two chains). */
  chainOfOne: 'EG7114',
  /** An experiment node whose config does not build (its diagnostics follow). */
  badExperiment: 'EG7115',
  /** An input or output path that is not a plain relative path. */
  badPath: 'EG7116',
  /** An experiment node's input whose place in its bundles (inputs/FROM/PATH) is a file of the sweep's bundles already. */
  inputClash: 'EG7118',
  /** The inventory (hosts.yaml) could not be loaded. */
  badInventory: 'EG7112',
  /** A label variable that does not exist. */
  labelUnknown: 'EG7120',
  /** A time format directive that does not exist (or does not apply to a duration). */
  labelFormat: 'EG7121',
  /** A `{` without its `}` (or a stray `}`). */
  labelBrace: 'EG7122',
  /** `{cm.VAR}`: cloudmesh's `cms set` variables do not exist in eegen. */
  labelCloudmesh: 'EG7123',
  /** --rerun names a node that is not in the workflow. */
  rerunUnknown: 'EG7130',
  /** Another coordinator of this workflow on this machine holds its lock too long. */
  locked: 'EG7140',
} as const;

export type WorkflowCode = (typeof WORKFLOW_CODES)[keyof typeof WORKFLOW_CODES];
