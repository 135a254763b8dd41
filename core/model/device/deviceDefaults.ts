// Performance of each device kind when the scenario does not say: the fixed latency of one
// request, the bandwidth and the request-rate limit. NVMe follows the cost table (nvme* entries,
// so `costs` overrides apply); the other kinds are assumptions, stated as such, and every field
// can be set per device (vms[].devices[].latencyUs / bandwidthMBps / maxIops).
// Must not: hold DMA properties (masks live in the device config).

import type { CostTable } from '../../sim/costTable';
import type { DeviceConfig } from '../../scenario/schema';

export interface DevicePerformance {
  /** Latency of one request at QD1 for 4 KiB, ns. */
  readonly latencyNs: number;
  /** Bytes per second the device moves at most. */
  readonly bandwidthBytesPerSec: number;
  /** Requests per second the device completes at most. */
  readonly maxIops: number;
  /** Uniform extra latency per request, 0 up to this, ns. */
  readonly jitterNs: number;
  readonly source: string;
}

type Kind = DeviceConfig['kind'];

const ASSUMED: Record<Exclude<Kind, 'nvme'>, Omit<DevicePerformance, 'jitterNs'>> = {
  'mlx5-vf': { latencyNs: 3_000, bandwidthBytesPerSec: 12.5e9, maxIops: 30e6, source: 'assumption: 100 Gb/s VF, ~3 us request latency' },
  ism: { latencyNs: 1_000, bandwidthBytesPerSec: 16e9, maxIops: 10e6, source: 'assumption: s390 ISM (shared-memory device), ~1 us' },
  gpu: { latencyNs: 2_000, bandwidthBytesPerSec: 25e9, maxIops: 5e6, source: 'assumption: PCIe 4.0 x16 GPU DMA engine' },
  'virtio-net-vdpa': { latencyNs: 5_000, bandwidthBytesPerSec: 3.125e9, maxIops: 5e6, source: 'assumption: 25 Gb/s vDPA NIC' },
  generic: { latencyNs: 10_000, bandwidthBytesPerSec: 1e9, maxIops: 100_000, source: 'assumption: generic DMA device' },
};

export function devicePerformance(device: DeviceConfig, costs: CostTable): DevicePerformance {
  const base: DevicePerformance =
    device.kind === 'nvme'
      ? {
          latencyNs: costs.nvmeReadQd1Ns,
          bandwidthBytesPerSec: (1024 / costs.nvmeNsPerKiB) * 1e9,
          maxIops: 1e9 / costs.nvmeMinIoIntervalNs,
          jitterNs: costs.nvmeJitterNs,
          source: 'cost table nvme* entries (docs/model.md, default costs: assumptions)',
        }
      : { ...ASSUMED[device.kind], jitterNs: 0 };
  return {
    ...base,
    ...(device.latencyUs === undefined ? {} : { latencyNs: Math.round(device.latencyUs * 1000) }),
    ...(device.bandwidthMBps === undefined ? {} : { bandwidthBytesPerSec: device.bandwidthMBps * 1e6 }),
    ...(device.maxIops === undefined ? {} : { maxIops: device.maxIops }),
  };
}
