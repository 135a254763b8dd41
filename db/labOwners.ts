// Which lab process owns a queued or running run, and whether that process is still alive: each
// process that stores runs (the app, the browser host, `pcilab run`) registers a row with its host,
// pid and start token, and removes it when it ends cleanly. A run whose owner is known dead is
// interrupted (running) or orphaned (queued) at once, with no timeout. Liveness is exact on Linux
// (the pid exists and has the start token it registered: /proc/<pid>/stat starttime and the boot
// id, so a recycled pid is not taken for the owner); where the start of a process cannot be read
// (macOS, Windows) a vanished pid is still dead at once, and a pid that exists is only "unknown",
// as is an owner on another host (a database on a shared disk): callers then fall back to the
// run's heartbeat.
// Must not: change runs (runStore.ts does), or signal processes (kill(pid, 0) only asks).

import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { LabDatabase } from './database';

export type Liveness = 'alive' | 'dead' | 'unknown';

export interface OwnerIdentity {
  readonly host: string;
  readonly pid: number;
  readonly startToken: string | null;
}

/** How to look at processes; tests replace it. */
export interface ProcessProbe {
  readonly host: string;
  /** This process's pid. */
  readonly pid: number;
  /** false when no process has this pid (ESRCH). */
  exists(pid: number): boolean;
  /** The start token of the process with this pid now, or null when it cannot be read. */
  startToken(pid: number): string | null;
}

export const systemProbe: ProcessProbe = {
  host: hostname(),
  pid: process.pid,
  exists: (pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      // EPERM: it exists but is another user's.
      return (err as { code?: unknown }).code !== 'ESRCH';
    }
  },
  startToken: linuxStartToken,
};

let bootId: string | null | undefined;

/** Linux: "<boot id>:<starttime>" (field 22 of /proc/<pid>/stat, clock ticks since boot); elsewhere null. */
export function linuxStartToken(pid: number): string | null {
  if (process.platform !== 'linux') return null;
  try {
    bootId ??= readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: the fields after it follow the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = fields[22 - 3];
    return start === undefined || !/^\d+$/.test(start) ? null : `${bootId}:${start}`;
  } catch {
    return null;
  }
}

export function currentIdentity(probe: ProcessProbe = systemProbe): OwnerIdentity {
  return { host: probe.host, pid: probe.pid, startToken: probe.startToken(probe.pid) };
}

interface OwnerRow {
  id: number;
  host: string;
  pid: number;
  start_token: string | null;
}

/** The liveness of a registered owner as seen from this host. */
export function livenessOf(owner: OwnerIdentity, probe: ProcessProbe = systemProbe): Liveness {
  if (owner.host !== probe.host) return 'unknown';
  if (!probe.exists(owner.pid)) return 'dead';
  if (owner.startToken === null) return 'unknown';
  const now = probe.startToken(owner.pid);
  if (now === null) return 'unknown';
  return now === owner.startToken ? 'alive' : 'dead';
}

export class OwnerStore {
  /** Owner ids this store registered and has not released: this process, alive by definition. */
  private readonly mine = new Set<number>();

  constructor(
    private readonly db: LabDatabase,
    private readonly probe: ProcessProbe = systemProbe,
  ) {}

  /** Registers this process; returns its owner id (one per open lab, released by release()). */
  register(nowMs: number): number {
    const me = currentIdentity(this.probe);
    const id = Number(
      this.db
        .prepare('INSERT INTO lab_owners (host, pid, start_token, started_at) VALUES (?, ?, ?, ?)')
        .run(me.host, me.pid, me.startToken, new Date(nowMs).toISOString()).lastInsertRowid,
    );
    this.mine.add(id);
    return id;
  }

  /** Removes the owner's row: its runs that are still queued or running are orphans from now on. */
  release(ownerId: number): void {
    this.mine.delete(ownerId);
    this.db.prepare('DELETE FROM lab_owners WHERE id = ?').run(ownerId);
  }

  /**
   * Liveness of each owner id (one lookup and one probe per distinct owner). An id without a row
   * is dead (its process removed it when it ended); null (runs stored before owners) is unknown.
   */
  liveness(ownerIds: Iterable<number | null>): (ownerId: number | null) => Liveness {
    const known = new Map<number, Liveness>();
    const get = this.db.prepare('SELECT id, host, pid, start_token FROM lab_owners WHERE id = ?');
    for (const id of ownerIds) {
      if (id === null || known.has(id)) continue;
      if (this.mine.has(id)) {
        known.set(id, 'alive');
        continue;
      }
      const row = get.get(id) as OwnerRow | undefined;
      known.set(id, row === undefined ? 'dead' : livenessOf({ host: row.host, pid: row.pid, startToken: row.start_token }, this.probe));
    }
    return (id) => (id === null ? 'unknown' : (known.get(id) ?? 'unknown'));
  }

  /** Removes the rows of owners known dead that no queued or running run names (housekeeping). */
  forgetDead(): number {
    const rows = this.db
      .prepare(
        `SELECT o.id, o.host, o.pid, o.start_token FROM lab_owners o
         WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.owner_id = o.id AND r.status IN ('queued','running'))`,
      )
      .all() as OwnerRow[];
    const del = this.db.prepare('DELETE FROM lab_owners WHERE id = ?');
    let n = 0;
    for (const r of rows) {
      if (livenessOf({ host: r.host, pid: r.pid, startToken: r.start_token }, this.probe) === 'dead') n += del.run(r.id).changes;
    }
    return n;
  }
}

/** Runs `use` as a registered owner (a CLI command that stores runs), releasing the row afterwards. */
export function asOwner<T>(db: LabDatabase, nowMs: number, use: (ownerId: number) => T): T {
  const owners = new OwnerStore(db);
  const ownerId = owners.register(nowMs);
  try {
    return use(ownerId);
  } finally {
    try {
      owners.release(ownerId);
    } catch {
      // A database that broke meanwhile: the row names a process that is about to end, which reads as dead.
    }
  }
}
