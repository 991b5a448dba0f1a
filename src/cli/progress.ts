/** The only import site of cli-progress. A bar on stderr, shown only on a terminal. */
import cliProgress from 'cli-progress';

export interface Progress {
  render: (done: number, total: number) => void;
  write: (done: number, total: number) => void;
  stop: () => void;
}

/** Starts drawing only after a moment, so fast builds print no bar at all. */
export function startProgress(delayMs = 300): Progress {
  const started = Date.now();
  let bar: cliProgress.SingleBar | undefined;
  let phase = '';
  const update = (label: string) => (done: number, total: number) => {
    if (!bar) {
      if (Date.now() - started < delayMs) return;
      bar = new cliProgress.SingleBar({ format: '{phase} [{bar}] {value}/{total}', stream: process.stderr, hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
      bar.start(total, done, { phase: label });
      phase = label;
    }
    if (phase !== label) {
      bar.setTotal(total);
      phase = label;
    }
    bar.update(done, { phase: label });
  };
  return { render: update('rendering'), write: update('writing  '), stop: () => bar?.stop() };
}
