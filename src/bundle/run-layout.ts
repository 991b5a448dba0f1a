/**
 * Bundle runtime layout on the host where it runs (B = the bundle directory):
 *   B/eegen-run.sh            the wrapper every run goes through (part of the bundle)
 *   B/eegen-run/events.jsonl  start / progress / end events (docs/formats.md)
 *   B/eegen-run/output.log    stdout+stderr when run by the local/ssh launcher
 *   B/eegen-run/jobid         line 1: `slurm:123`, `slurm:123_4`, `lsf:456[2]`, `local:PID`;
 *                             line 2: {"jobId","hash","ts"} of the submission (written at submit)
 *   B/eegen-run/fingerprint.json, B/eegen-run/power.csv
 */
export const RUN_LAYOUT = {
  wrapper: 'eegen-run.sh',
  dir: 'eegen-run',
  events: 'eegen-run/events.jsonl',
  output: 'eegen-run/output.log',
  jobid: 'eegen-run/jobid',
  fingerprint: 'eegen-run/fingerprint.json',
  power: 'eegen-run/power.csv',
} as const;
