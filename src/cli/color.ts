/**
 * Colour on a terminal, never in a pipe or a file, and never when NO_COLOR is set
 * (https://no-color.org); FORCE_COLOR turns it on elsewhere (CI logs that render ANSI).
 */
export function colorFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}
