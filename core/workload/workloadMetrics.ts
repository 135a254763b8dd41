// Names, units and meanings of the metrics the workloads report: the io.* set every throughput
// workload shares, the ops.* counts of ops scripts, and what the net, dpdk, gpu, virtio-mem and
// probe workloads add.
// Must not: compute metrics.

import { metric as m, type MetricInfo } from '../contract/catalog';

export const WORKLOAD_METRICS: readonly MetricInfo[] = [
  m('io.completed', 'IOs', 'IOs completed during the run'),
  m('io.iops', 'IO/s', 'completed IOs per simulated second'),
  m('io.bandwidthMBps', 'MB/s', 'payload bytes per simulated second, 10^6 bytes'),
  m('io.latencyP50Us', 'us', 'median IO latency, submit to unmap done'),
  m('io.latencyP99Us', 'us', '99th percentile IO latency'),
  m('io.errors', 'IOs', 'IOs that failed (EIO: frozen device, removed device, a DMA the host IOMMU faulted)'),
  m('io.mapRetries', 'IOs', 'IOs whose DMA map failed and that blk-mq retried after 3 ms (BLK_STS_RESOURCE)'),
  m('ops.steps', 'calls', 'ops-script steps run'),
  m('ops.failed', 'calls', 'ops-script steps that returned an error'),
  m('net.arrivals', 'packets', 'packets that arrived (each is sent, received, dropped or still in flight at the end)'),
  m('net.txPackets', 'packets', 'packets transmitted: mapped, sent by the device and unmapped at completion'),
  m('net.rxPackets', 'packets', 'packets received into recycled, long-mapped RX buffers'),
  m('net.rxBuffersMapped', 'buffers', 'RX buffers made DMA-able when the ring was filled'),
  m('net.rxPagesMapped', 'calls', 'DMA maps of RX pages (page_pool maps each page once; several buffers per page)'),
  m('net.dropped', 'packets', 'packets dropped: vCPU busy > 1 ms, TX ring full, TX map failed or no free RX buffer'),
  m('net.txMapFailures', 'packets', 'TX packets whose DMA map failed (dropped)'),
  m('net.rxMapFailures', 'calls', 'RX page maps that failed while filling the ring (those buffers are missing)'),
  m('dpdk.setupMs', 'ms', 'simulated time to map the whole mempool at start'),
  m('dpdk.mappings', 'mappings', 'mempool chunks mapped at start (one per hugepage segment)'),
  m('dpdk.mapFailures', 'calls', 'mempool maps that failed (initialisation aborted, no IO ran)'),
  m('gpu.setupMs', 'ms', 'simulated time to map every pinned buffer at start'),
  m('gpu.mappings', 'mappings', 'buffers mapped at start'),
  m('gpu.mapFailures', 'calls', 'buffer maps that failed (no kernel ran)'),
  m('gpu.kernels', 'kernels', 'compute kernels completed'),
  m('gpu.transfers', 'transfers', 'DMA transfers completed (io.completed counts the same)'),
  m('virtioMem.plugMs', 'ms', 'simulated time from the plug request to the last plugged block, traps, ioctls and pinning included'),
  m('virtioMem.unplugMs', 'ms', 'simulated time to unplug everything that was plugged'),
  m('virtioMem.blocksPlugged', 'blocks', 'virtio-mem blocks plugged'),
  m('virtioMem.blocksUnplugged', 'blocks', 'virtio-mem blocks unplugged'),
  m('virtioMem.vfioMaps', 'calls', 'VFIO map ioctls QEMU issued for plugged blocks (one per block without a vIOMMU)'),
  m('virtioMem.vfioUnmaps', 'calls', 'VFIO unmap ioctls QEMU issued for unplugs and rollbacks (one per request range)'),
  m('virtioMem.plugFailures', 'requests', 'plug requests QEMU answered BUSY because a VFIO map failed (plugging stops)'),
  m('probe.devices', 'devices', 'devices whose driver probe ran'),
  m('probe.failures', 'devices', 'probes that failed (e.g. -12 when a coherent allocation found no IOVA)'),
  m('dma.addressBits', 'bits', 'widest "Using N-bit DMA addresses" a device logged (0 when none did)'),
];
