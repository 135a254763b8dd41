// Host-layer benches: VFIO type1 map+unmap pairs with 1k, 64k and 1M live mappings (the cost growth
// of the vfio_dma tree), and QEMU's IOVA tree reverse lookup at 64k maps today vs with the reverse
// index by host address.

import { VfioType1Container } from '../core/model/vfio/vfioType1';
import { HostProcess } from '../core/model/host/hostProcess';
import { defaultIommuGeometry } from '../core/model/host/hostIommu';
import { IovaTree, type IovaTreeFix } from '../core/model/qemu/iovaTree';
import { VFIO_DMA_MAP_FLAG_READ, VFIO_DMA_MAP_FLAG_WRITE } from '../core/model/vfio/vfioContainerApi';
import { resolveCostTable } from '../core/sim/costTable';
import { FaultInjector } from '../core/sim/faultInjector';
import type { Measure } from './harness';

const RW = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
const PAIRS = 20_000;

function containerWith(live: number): VfioType1Container {
  const c = new VfioType1Container('bench', 2, {
    process: new HostProcess({ memlockBytes: null, capIpcLock: true, backing: 'thp', userAddressEnd: 2 ** 47 }),
    costs: resolveCostTable(),
    faults: new FaultInjector(),
    dmaEntryLimit: 2 ** 22,
    disableHugepages: false,
    geometry: defaultIommuGeometry('x86_64'),
    irqRemapping: true,
    allowUnsafeInterrupts: false,
  });
  for (let i = 0; i < live; i++) {
    if (c.mapDma(0x1_0000_0000 + i * 8192, 0x10000000 + i * 4096, 4096, RW) !== 0) throw new Error('prefill failed');
  }
  return c;
}

export function vfioMeasures(): Measure[] {
  return [1_000, 64_000, 1_000_000].map((live) => {
    let c: VfioType1Container | null = null;
    return {
      name: `type1 map+unmap 4 KiB, ${live.toLocaleString('en-US')} live mappings`,
      items: PAIRS,
      unit: 'pairs',
      setup: () => {
        c = containerWith(live);
      },
      fn: () => {
        // Pairs land in the holes between live mappings, spread over the whole tree.
        const step = Math.max(1, Math.floor(live / PAIRS));
        for (let i = 0; i < PAIRS; i++) {
          const iova = 0x1_0000_0000 + ((i * step) % live) * 8192 + 4096;
          c!.mapDma(iova, 0x7000_0000_0000 + i * 4096, 4096, RW);
          c!.unmapDma(iova, 4096, 0);
        }
      },
    };
  });
}

const TREE_MAPS = 64_000;
const LOOKUPS = 2_000;

function treeWith(fix: IovaTreeFix): IovaTree {
  const t = new IovaTree('bench', fix, resolveCostTable());
  for (let i = 0; i < TREE_MAPS; i++) t.insert(0x100000 + i * 4096, 0x7f10_0000_0000 + i * 4096, 4095, 'rw', 0x100000 + i * 4096);
  return t;
}

export function iovaTreeMeasures(): Measure[] {
  return (['none', 'reverse-index', 'id+reverse-index'] as const).map((fix) => {
    let t: IovaTree | null = null;
    return {
      name: `IOVA tree reverse lookup, 64k maps, fix=${fix}`,
      items: LOOKUPS,
      unit: 'lookups',
      setup: () => {
        t = treeWith(fix);
      },
      fn: () => {
        for (let i = 0; i < LOOKUPS; i++) {
          const k = (i * 7919) % TREE_MAPS;
          t!.findIova(0x7f10_0000_0000 + k * 4096, 4095, 0x100000 + k * 4096);
        }
      },
    };
  });
}
