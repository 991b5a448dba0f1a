/**
 * The submission ledger (OUT/.eegen/ledger.jsonl): what went where, when. A record,
 * not the source of truth — status and submit ask the hosts — so losing it loses
 * nothing. Every write replaces the file atomically (temp file + rename).
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

export async function readLedger(outDir: string): Promise<LedgerEntry[]> {
  let text = '';
  try {
    text = await readFile(path.join(outDir, LAYOUT.ledger), 'utf8');
  } catch {
    return [];
  }
  const out: LedgerEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as LedgerEntry);
    } catch {
      // A torn line cannot happen with rename-based writes; ignore anything unreadable.
    }
  }
  return out;
}

let chain: Promise<unknown> = Promise.resolve();

/** Append entries (serialized within this process; the file is replaced atomically). */
export function appendLedger(outDir: string, entries: readonly LedgerEntry[]): Promise<void> {
  const next = chain.then(async () => {
    if (!entries.length) return;
    const old = await readLedger(outDir);
    await writeFileAtomic(path.join(outDir, LAYOUT.ledger), [...old, ...entries].map((e) => JSON.stringify(e)).join('\n') + '\n');
  });
  chain = next.catch(() => undefined);
  return next;
}
