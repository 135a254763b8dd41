import { describe, expect, it } from 'vitest';
import { loadScenario } from './loadScenario';
import { scenarioJsonSchema } from './jsonSchema';

function problems(value: Record<string, unknown>): string[] {
  const r = loadScenario({ value: { name: 'w', ...value } });
  return r.ok ? [] : r.problems;
}

function workload(value: Record<string, unknown>): Record<string, unknown> {
  const r = loadScenario({ value: { name: 'w', vms: [{ devices: [{ name: 'nic0', kind: 'mlx5-vf' }] }], workload: value } });
  if (!r.ok) throw new Error(r.problems.join('\n'));
  return r.scenario.workload as unknown as Record<string, unknown>;
}

describe('workload schemas fill the documented defaults', () => {
  it('net: 1e6 pps of 1500 bytes, half TX, 1024 RX buffers of 2048 bytes, fixed arrivals, no stack cost', () => {
    expect(workload({ kind: 'net' })).toEqual({
      kind: 'net',
      packetRate: 1e6,
      packetBytes: 1500,
      txShare: 0.5,
      rxRingEntries: 1024,
      rxBufferBytes: 2048,
      txStackNs: 0,
      rxStackNs: 0,
      arrival: 'fixed',
    });
  });

  it('dpdk: a 1 GiB mempool in 2 MiB chunks, iodepth 32, 2048-byte IOs, one job', () => {
    expect(workload({ kind: 'dpdk' })).toEqual({
      kind: 'dpdk',
      mempoolBytes: 2 ** 30,
      chunkBytes: 2 ** 21,
      iodepth: 32,
      blockSizeBytes: 2048,
      numjobs: 1,
    });
  });

  it('gpu: four 1 GiB buffers, 64 MiB transfers, 500 us kernels', () => {
    expect(workload({ kind: 'gpu' })).toEqual({
      kind: 'gpu',
      buffers: 4,
      bufferBytes: 2 ** 30,
      transferBytes: 64 * 2 ** 20,
      kernelUs: 500,
    });
  });

  it('virtio-mem: 1 GiB in 2 MiB blocks at time 0, never unplugged, region chosen by the run', () => {
    expect(workload({ kind: 'virtio-mem' })).toEqual({
      kind: 'virtio-mem',
      blockSizeBytes: 2 ** 21,
      plugBytes: 2 ** 30,
      atMs: 0,
      unplugAtMs: null,
    });
  });

  it('accepts hex strings for byte sizes', () => {
    expect(workload({ kind: 'virtio-mem', blockSizeBytes: '0x400000', plugBytes: '0x40000000' })).toMatchObject({
      blockSizeBytes: 4 * 2 ** 20,
    });
  });
});

describe('workload schemas reject what the real knobs refuse, by path', () => {
  it('virtio-mem: block size below VIRTIO_MEM_MIN_BLOCK_SIZE (1 MiB) or not a power of two', () => {
    expect(problems({ workload: { kind: 'virtio-mem', blockSizeBytes: 512 * 1024 } })).toEqual([
      expect.stringMatching(/^workload\.blockSizeBytes: /),
    ]);
    expect(problems({ workload: { kind: 'virtio-mem', blockSizeBytes: 3 * 2 ** 20 } })).toEqual([
      expect.stringMatching(/^workload\.blockSizeBytes: /),
    ]);
  });

  it('virtio-mem: requested size not a multiple of the block size', () => {
    expect(problems({ workload: { kind: 'virtio-mem', plugBytes: 3 * 2 ** 20 } })).toEqual([
      expect.stringMatching(/^workload\.plugBytes: must be a multiple/),
    ]);
  });

  it('virtio-mem: region address not aligned to the block size (virtio_mem_valid_range)', () => {
    expect(problems({ workload: { kind: 'virtio-mem', regionGpa: 2 ** 33 + 4096 } })).toEqual([
      expect.stringMatching(/^workload\.regionGpa: /),
    ]);
  });

  it('virtio-mem: unplug not after the plug', () => {
    expect(problems({ workload: { kind: 'virtio-mem', atMs: 5, unplugAtMs: 5 } })).toEqual([
      expect.stringMatching(/^workload\.unplugAtMs: /),
    ]);
  });

  it('virtio-mem: a VM that does not exist, and hypervisors without QEMU', () => {
    expect(problems({ workload: { kind: 'virtio-mem', vm: 'nope' } })).toEqual(['workload.vm: no VM named "nope"']);
    const p = problems({ host: { arch: 's390x', hypervisor: 'lpar' }, workload: { kind: 'virtio-mem' } });
    expect(p).toContainEqual(expect.stringMatching(/^workload\.kind: virtio-mem needs QEMU/));
  });

  it('net, dpdk, gpu: a device that does not exist', () => {
    for (const kind of ['net', 'dpdk', 'gpu'])
      expect(problems({ workload: { kind, device: 'ghost' } })).toEqual(['workload.device: no device named "ghost"']);
  });

  it('gpu: a transfer larger than a buffer, and buffers larger than guest RAM', () => {
    expect(problems({ workload: { kind: 'gpu', bufferBytes: 2 ** 20, transferBytes: 2 ** 21 } })).toEqual([
      expect.stringMatching(/^workload\.transferBytes: /),
    ]);
    expect(problems({ vms: [{ memoryBytes: 2 ** 32 }], workload: { kind: 'gpu', buffers: 5 } })).toEqual([
      expect.stringMatching(/^workload\.bufferBytes: buffers x bufferBytes must fit in the guest RAM of vm0/),
    ]);
  });

  it('dpdk: chunk size not a power of two from 4 KiB to 1 GiB, mempool not page-sized or larger than RAM', () => {
    expect(problems({ workload: { kind: 'dpdk', chunkBytes: 3 * 4096 } })).toEqual([expect.stringMatching(/^workload\.chunkBytes: /)]);
    expect(problems({ workload: { kind: 'dpdk', mempoolBytes: 1000 } })).toEqual([expect.stringMatching(/^workload\.mempoolBytes: /)]);
    expect(problems({ vms: [{ memoryBytes: 2 ** 30 }], workload: { kind: 'dpdk', mempoolBytes: 2 ** 31 } })).toEqual([
      expect.stringMatching(/^workload\.mempoolBytes: the mempool must fit/),
    ]);
  });

  it('net: a share outside [0, 1] and unknown fields', () => {
    expect(problems({ workload: { kind: 'net', txShare: 1.5 } })).toEqual([expect.stringMatching(/^workload\.txShare: /)]);
    expect(problems({ workload: { kind: 'net', mtu: 9000 } })).toEqual([expect.stringMatching(/Unrecognized key: "mtu"/)]);
  });

  it('an unknown kind lists every built kind', () => {
    expect(problems({ workload: { kind: 'rdma' } })).toEqual([
      expect.stringMatching(/fio, net, dpdk, gpu, virtio-mem, probe, dma-trace, ops/),
    ]);
  });
});

describe('the JSON Schema documents the knobs the workloads mirror', () => {
  it('names the QEMU property of the virtio-mem block size and the ethtool knob of the RX ring', () => {
    const text = JSON.stringify(scenarioJsonSchema());
    expect(text).toContain('virtio-mem-pci,block-size=');
    expect(text).toContain('ethtool -G <if> rx');
  });
});
