/**
 * watch() reports every bundle on its first poll (`from` absent), as DispatchEvent's
 * `state` says: a watcher that starts after its bundles finished still hears they are done.
 */
import { describe, expect, it } from 'vitest';
import { LOCAL_HOST, submit, watch, type EegenEvent } from '../../src/index.js';
import { buildExample, waitFinished } from './helpers.js';

describe('watch(), first poll', () => {
  it('a state event (and a change) for every bundle, from absent, even when all had finished before it started', async () => {
    const { out } = await buildExample();
    const only = ['lr-1_epochs-5_*'];
    await submit({ out, hosts: [LOCAL_HOST], only });
    await waitFinished(out, [LOCAL_HOST]);
    const events: EegenEvent[] = [];
    const updates = [];
    for await (const u of watch({ out, hosts: [LOCAL_HOST], only, intervalMs: 200, onEvent: (e) => events.push(e) })) updates.push(u);
    expect(updates).toHaveLength(1);
    expect(updates[0]!.changes.map((c) => [c.id, c.from, c.to])).toEqual([
      ['lr-1_epochs-5_repeat-1', undefined, 'done'],
      ['lr-1_epochs-5_repeat-2', undefined, 'done'],
    ]);
    expect(events.filter((e) => e.type === 'state').map((e) => (e as Extract<EegenEvent, { type: 'state' }>).id)).toEqual(['lr-1_epochs-5_repeat-1', 'lr-1_epochs-5_repeat-2']);
  }, 60_000);
});
