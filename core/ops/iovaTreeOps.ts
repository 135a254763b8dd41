// The iovaTree.* ops (docs/model.md#ops-scripts) over QEMU's IOVA tree model. Trees are created on
// first use under `iovaTree:<name>` (default "tree0") with the scenario's host.qemu.iovaTree.fix;
// each runs on lane `iovaTree.<name>`.
// Must not: decide tree semantics (core/model/qemu/iovaTree.ts does).

import { z } from 'zod';
import { u64, toHexOrNumber } from '../scenario/numbers';
import { IOVA_OK, IovaTree, iovaErrName, type DmaMap } from '../model/qemu/iovaTree';
import { defineOp, type OpDefinition, type OpOutcome, type OpsEnvironment } from './opTypes';

const treeName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_.-]*$/, 'must start with a letter and use only letters, digits, "_", "." or "-"')
  .max(64)
  .default('tree0');

const perm = z.enum(['none', 'ro', 'wo', 'rw']).default('rw');
/** The guest region (its GPA) a map belongs to, or that a reverse lookup means. */
const regionId = u64.optional();

function treeOf(env: OpsEnvironment, name: string): IovaTree {
  return env.instance(`iovaTree:${name}`, () => new IovaTree(`iovaTree.${name}`, env.scenario.host.qemu.iovaTree.fix, env.costs));
}

function outcome(tree: IovaTree, rc: number, ret: unknown): OpOutcome {
  const errno = iovaErrName(rc);
  return { ok: errno === null, errno, ret: errno === null ? ret : null, costNs: tree.lastCostNs, lane: tree.laneName };
}

/** A DMAMap as op output (hex strings above 2^53). */
export function dmaMapView(m: DmaMap | null): unknown {
  if (m === null) return null;
  return {
    iova: toHexOrNumber(m.iova),
    translatedAddr: toHexOrNumber(m.translatedAddr),
    size: toHexOrNumber(m.size),
    perm: m.perm,
    id: m.id === null ? null : toHexOrNumber(m.id),
  };
}

const insertArgs = z.strictObject({ tree: treeName, iova: u64, translatedAddr: u64, size: u64, perm, id: regionId });
const rangeArgs = z.strictObject({ tree: treeName, iova: u64, size: u64 });
const findIovaArgs = z.strictObject({ tree: treeName, translatedAddr: u64, size: u64, id: regionId });
const allocArgs = z.strictObject({ tree: treeName, translatedAddr: u64, size: u64, perm, begin: u64, last: u64, id: regionId });

export const IOVA_TREE_OPS: readonly OpDefinition[] = [
  defineOp({
    name: 'iovaTree.insert',
    layer: 'iovaTree',
    summary: 'iova_tree_insert: add a map {iova, translatedAddr, size (inclusive), perm, id = GPA}; never merged',
    args: insertArgs,
    run: (env, a) => {
      const t = treeOf(env, a.tree);
      return outcome(t, t.insert(a.iova, a.translatedAddr, a.size, a.perm, a.id ?? null), null);
    },
    // The calls one after the other on the tree, without an outcome per call; the first failing one
    // is reported as run() reports it.
    runRepeat: (env, a, add, from, count, costNs) => {
      for (const k in add) if (k !== 'iova' && k !== 'translatedAddr' && k !== 'id') return null;
      // An id that only `add` gives (no base id) is left to run().
      if ('id' in add && a.id === undefined) return null;
      const t = treeOf(env, a.tree);
      // Repetition i's arguments are base + i * add (repeatArg), computed so in insertRepeat.
      const rc = t.insertRepeat(
        a.iova,
        a.translatedAddr,
        a.size,
        a.perm,
        a.id ?? null,
        add.iova ?? 0,
        add.translatedAddr ?? 0,
        'id' in add ? add.id! : null,
        from,
        count,
        costNs,
      );
      const failed = rc === IOVA_OK ? undefined : outcome(t, rc, null);
      return { calls: t.repeatCalls, costNs: t.repeatCostNs, ret: null, lane: t.laneName, ...(failed === undefined ? {} : { failed }) };
    },
  }),
  defineOp({
    name: 'iovaTree.find',
    layer: 'iovaTree',
    summary: 'iova_tree_find: the overlapping map nearest the GTree root, or null',
    args: rangeArgs,
    run: (env, a) => {
      const t = treeOf(env, a.tree);
      return outcome(t, 0, dmaMapView(t.find(a.iova, a.size)));
    },
  }),
  defineOp({
    name: 'iovaTree.findIova',
    layer: 'iovaTree',
    summary: 'iova_tree_find_iova: reverse lookup by host address; reports wrong (other region) and partial matches',
    args: findIovaArgs,
    run: (env, a) => {
      const t = treeOf(env, a.tree);
      const map = t.findIova(a.translatedAddr, a.size, a.id);
      return outcome(t, 0, {
        map: dmaMapView(map),
        wrong: t.lastWrong,
        partial: t.lastRemainder.length > 0,
        remainder: t.lastRemainder.map((r) => ({ translatedAddr: toHexOrNumber(r.translatedAddr), size: toHexOrNumber(r.size) })),
        comparisons: t.lastSteps,
      });
    },
  }),
  defineOp({
    name: 'iovaTree.remove',
    layer: 'iovaTree',
    summary: 'iova_tree_remove: delete every map overlapping the range (never split); ret = maps removed',
    args: rangeArgs,
    run: (env, a) => {
      const t = treeOf(env, a.tree);
      return outcome(t, t.remove(a.iova, a.size), t.lastRemoved);
    },
  }),
  defineOp({
    name: 'iovaTree.allocMap',
    layer: 'iovaTree',
    summary: 'iova_tree_alloc_map: first hole in [begin, last] from the bottom, then insert; ret = IOVA',
    args: allocArgs,
    run: (env, a) => {
      const t = treeOf(env, a.tree);
      const rc = t.allocMap(a.translatedAddr, a.size, a.perm, a.begin, a.last, a.id ?? null);
      return outcome(t, rc, toHexOrNumber(t.lastIova));
    },
  }),
];
