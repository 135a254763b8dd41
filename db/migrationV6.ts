// Schema v6's data step: timelines stored before streaming kept a cause's effects in one CSR row per
// block of 4096 causes (timeline_effect_blocks); streamed timelines add one part per chunk that
// names a cause of the block (timeline_effect_parts, (cause, seq) pairs). Each v3 block becomes its
// block's only part, then the old table is dropped. Runs inside migrate()'s transaction.
// Must not: import database.ts (it imports the migrations).

import type BetterSqlite3 from 'better-sqlite3';
import { effectPartOfCsr } from './timeline/timelineSeqBlocks';

export function convertEffectBlocks(db: BetterSqlite3.Database): void {
  const insert = db.prepare('INSERT INTO timeline_effect_parts (run_id, block, part, causes, seqs) VALUES (?, ?, 0, ?, ?)');
  const rows = db.prepare('SELECT run_id, block, offsets, seqs FROM timeline_effect_blocks').all() as {
    run_id: number;
    block: number;
    offsets: Buffer;
    seqs: Buffer;
  }[];
  for (const r of rows) {
    const part = effectPartOfCsr(r.offsets, r.seqs);
    insert.run(r.run_id, r.block, part.causes, part.seqs);
  }
  db.exec('DROP TABLE timeline_effect_blocks');
}
