import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { currentIdentity, linuxStartToken, livenessOf, OwnerStore, systemProbe, asOwner } from './labOwners';
import { tempDb, type TempDb } from './testDb.testkit';

let t: TempDb | undefined;
afterEach(() => t?.dispose());

describe('lab owners on this machine', () => {
  it.runIf(process.platform === 'linux')('reads a start token for a live process, none for an ended one', () => {
    expect(linuxStartToken(process.pid)).toMatch(/^[0-9a-f-]+:\d+$/);
    const child = spawnSync(process.execPath, ['-e', '0']);
    expect(child.pid).toBeGreaterThan(0);
    expect(linuxStartToken(child.pid!)).toBeNull();
  });

  it('sees this process alive and an ended process dead', () => {
    expect(livenessOf(currentIdentity())).toBe(process.platform === 'linux' ? 'alive' : 'unknown');
    const child = spawnSync(process.execPath, ['-e', '0']);
    expect(livenessOf({ host: systemProbe.host, pid: child.pid!, startToken: 'x:1' })).toBe('dead');
    // Same pid, another start: a recycled pid is not the owner.
    if (process.platform === 'linux') expect(livenessOf({ ...currentIdentity(), startToken: 'other-boot:1' })).toBe('dead');
  });

  it('registers and releases an owner row around a command; a released owner reads as dead', () => {
    t = tempDb();
    const db = t.db;
    const owners = new OwnerStore(db);
    const id = asOwner(db, 0, (ownerId) => {
      expect(owners.liveness([ownerId])(ownerId)).toBe(process.platform === 'linux' ? 'alive' : 'unknown');
      // The store that registered an owner knows it is alive on any platform.
      const mine = new OwnerStore(db);
      const own = mine.register(0);
      expect(mine.liveness([own])(own)).toBe('alive');
      mine.release(own);
      return ownerId;
    });
    expect(db.prepare('SELECT COUNT(*) AS n FROM lab_owners').get()).toEqual({ n: 0 });
    expect(owners.liveness([id])(id)).toBe('dead');
    expect(owners.liveness([null])(null)).toBe('unknown');
  });
});
