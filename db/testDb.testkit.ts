// A fresh database in a temporary directory for one test, removed afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLabDatabase, type LabDatabase } from './database';

export interface TempDb {
  readonly path: string;
  readonly db: LabDatabase;
  dispose(): void;
}

export function tempDb(): TempDb {
  const dir = mkdtempSync(join(tmpdir(), 'pcilab-test-'));
  const path = join(dir, 'lab.db');
  const db = openLabDatabase(path);
  return {
    path,
    db,
    dispose: () => {
      if (db.open) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
