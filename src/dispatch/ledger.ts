/**
 * The submission ledger (OUT/.eegen/ledger.jsonl): what went where, when. A record,
 * not the source of truth — status and submit ask the hosts — so losing it loses
 * nothing that `--host` cannot find again. Every write replaces the file atomically
 * (temp file + rename).
 *
 * Besides one entry per submitted bundle, submit writes an `attempt` entry for a host
 * BEFORE it sends that host anything: so every host that may hold a run of this output
 * directory is in the ledger, also after a submit was aborted or killed half-way, and
 * status (no --host) asks exactly those hosts, and none when nothing was ever sent.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LAYOUT } from '../types.js';
import { writeFileAtomic } from '../write/state.js';

export interface LedgerEntry {
  id: string;
  host: string;
  bundleHash: string;
  jobId: string;
  time: string;
  action: 'submitted' | 'retried' | 'cancelled';
}

/** Written before anything is sent to `host` (no `id`: it is about the host, not a bundle). */
export interface LedgerAttempt {
  host: string;
  time: string;
  action: 'attempt';
}

async function readRecords(outDir: string): Promise<unknown[]> {
  let text = '';
  try {
    text = await readFile(path.join(outDir, LAYOUT.ledger), 'utf8');
  } catch {
    return [];
  }
  const out: unknown[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // A torn line cannot happen with rename-based writes; ignore anything unreadable.
    }
  }
  return out;
}

/** The bundle entries (submitted, retried, cancelled). */
export async function readLedger(outDir: string): Promise<LedgerEntry[]> {
  return (await readRecords(outDir)).filter((e): e is LedgerEntry => typeof (e as LedgerEntry)?.id === 'string' && (e as LedgerEntry).action !== ('attempt' as string));
}

/** Every host the ledger names (bundle entries and attempts), in first-seen order. */
export async function ledgerHosts(outDir: string): Promise<string[]> {
  const hosts = new Set<string>();
  for (const e of await readRecords(outDir)) if (typeof (e as { host?: unknown })?.host === 'string') hosts.add((e as { host: string }).host);
  return [...hosts];
}

/**
 * Append entries, in order within `queues` (a DispatchContext's: one queue per output
 * directory, so two experiments never wait for each other and two hosts of one submit
 * never lose each other's lines). The file is replaced atomically.
 */
export function appendLedger(outDir: string, entries: readonly (LedgerEntry | LedgerAttempt)[], queues: Map<string, Promise<unknown>>): Promise<void> {
  const key = path.resolve(outDir);
  const next = (queues.get(key) ?? Promise.resolve()).then(async () => {
    if (!entries.length) return;
    const file = path.join(outDir, LAYOUT.ledger);
    let old = '';
    try {
      old = await readFile(file, 'utf8');
    } catch {
      /* none yet */
    }
    if (old && !old.endsWith('\n')) old += '\n';
    await writeFileAtomic(file, old + entries.map((e) => JSON.stringify(e)).join('\n') + '\n');
  });
  queues.set(key, next.catch(() => undefined));
  return next;
}
