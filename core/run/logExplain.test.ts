// Every message the field reports quote (issue 16) goes through the matcher, which must name the
// mechanism behind it; every preset it offers exists.

import { describe, expect, it } from 'vitest';
import { explainLogLine, LOG_PATTERNS } from './logExplain';
import { PRESETS } from '../scenario/presets';

const CASES: readonly { line: string; pattern: string; errno: string | null; mechanism: RegExp; numbers?: Record<string, number> }[] = [
  // report 1 (kubevirt/kubevirt#18915)
  {
    line: 'vfio_container_dma_map(...) = -12 (Cannot allocate memory)',
    pattern: 'qemu-dma-map-errno',
    errno: 'ENOMEM',
    mechanism: /locked_vm/,
  },
  {
    line: 'qemu-system-x86_64: -device vfio-pci,host=0000:7c:00.0: vfio 0000:7c:00.0: failed to setup container for group 30: memory listener initialization failed: Region pc.ram: vfio_container_dma_map(0x55ba53e7a9d0, 0x100000000, 0xff30000000, 0x7ed243e00000) = -12 (Cannot allocate memory)',
    pattern: 'qemu-dma-map-errno',
    errno: 'ENOMEM',
    mechanism: /RLIMIT|locked_vm/,
    numbers: { errno: 12, iova: 0x100000000, size: 0xff30000000 },
  },
  { line: 'memory listener initialization failed', pattern: 'qemu-listener-init', errno: null, mechanism: /could not map guest RAM/ },
  // report 2 (kubevirt/kubevirt#8472, cloud-hypervisor#165)
  {
    line: 'vfio_pin_pages_remote: RLIMIT_MEMLOCK (65536) exceeded',
    pattern: 'type1-rlimit-memlock',
    errno: 'ENOMEM',
    mechanism: /vfio_pin_pages_remote/,
    numbers: { memlockBytes: 65536 },
  },
  // report 3 (kata-containers#11721, NVIDIA/nvtrust#46)
  {
    line: "vfio_register_ram_discard_listener: possibly running out of DMA mappings. E.g., try increasing the 'block-size' of virtio-mem devices. Maximum possible DMA mappings: 65535",
    pattern: 'virtio-mem-dma-mappings',
    errno: null,
    mechanism: /RamDiscardListener/,
    numbers: { dmaMaxMappings: 65535 },
  },
  {
    line: "qemu-system-x86_64: warning: vfio_register_ram_discard_listener: possibly running out of DMA mappings. E.g., try increasing the 'block-size' of virtio-mem devies. Maximum possible DMA mappings: 65535, Maximum possible memslots: 32764",
    pattern: 'virtio-mem-dma-mappings',
    errno: null,
    mechanism: /RamDiscardListener/,
    numbers: { dmaMaxMappings: 65535, maxMemslots: 32764 },
  },
  { line: 'VFIO_MAP_DMA -28', pattern: 'qemu-vfio-map-dma-ioctl', errno: 'ENOSPC', mechanism: /dma_entry_limit/ },
  {
    line: 'VFIO_MAP_DMA failed: No space left on device',
    pattern: 'qemu-vfio-map-dma-ioctl',
    errno: 'ENOSPC',
    mechanism: /dma_entry_limit/,
  },
  // report 4 (NVIDIA/NV-Kernels#248/#249): the BAR map's ENOMEM on a charging iommufd, and upstream's EFAULT
  {
    line: 'qemu-system-x86_64: warning: vfio_container_dma_map(0x55d0c0de0000, 0x380000000000, 0x800000000, 0x7e0000000000) = -12 (Cannot allocate memory)',
    pattern: 'bar-map-memlock',
    errno: 'ENOMEM',
    mechanism: /VM_PFNMAP/,
  },
  {
    line: '0000:41:00.0: PCI peer-to-peer transactions on BARs are not supported.',
    pattern: 'bar-p2p-unsupported',
    errno: null,
    mechanism: /ram_device/,
  },
  {
    line: 'qemu-system-x86_64: warning: IOMMU_IOAS_MAP failed: Bad address, PCI BAR?',
    pattern: 'ioas-map-pci-bar',
    errno: 'EFAULT',
    mechanism: /pin_user_pages/,
  },
  // report 5 (cloud-hypervisor#7030, MicronSSD/unvme#4, gnif/LookingGlass#1184)
  {
    line: 'DMAR: intel_iommu_map: iommu width (39) is not sufficient for the mapped address (8800000000)',
    pattern: 'intel-iommu-width',
    errno: 'EFAULT',
    mechanism: /2\^width/,
    numbers: { widthBits: 39, address: 0x8800000000 },
  },
  { line: 'VFIO_MAP_DMA: -22', pattern: 'qemu-vfio-map-dma-ioctl', errno: 'EINVAL', mechanism: /valid IOVA ranges|IOVA ranges/ },
  // report 6 (kata-containers/kata-containers#10582)
  {
    line: 'reason: Error from device manager: VfioMapRegion(DmaMap(IommuDmaMap(Error(17))))',
    pattern: 'cloud-hypervisor-dma-map',
    errno: 'EEXIST',
    mechanism: /overlaps/,
  },
  {
    line: 'vfio_container_dma_map(0x5581c0de0000, 0x100000000, 0x10000, 0x7f0100000000) = -17 (File exists)',
    pattern: 'qemu-dma-map-errno',
    errno: 'EEXIST',
    mechanism: /overlaps/,
  },
];

describe('explainLogLine', () => {
  it.each(CASES)('$line', (c) => {
    const found = explainLogLine(c.line);
    expect(found.length).toBeGreaterThan(0);
    const first = found[0]!;
    expect(first.pattern).toBe(c.pattern);
    expect(first.errno).toBe(c.errno);
    expect(first.mechanism).toMatch(c.mechanism);
    if (c.numbers !== undefined) expect(first.numbers).toMatchObject(c.numbers);
  });

  it('turns the numbers into overrides', () => {
    const [e] = explainLogLine('vfio_pin_pages_remote: RLIMIT_MEMLOCK (65536) exceeded');
    expect(e!.set).toEqual(['host.vfio.memlockBytes=65536']);
    expect(e!.command).toBe(`pcilab run ${e!.preset!} --set host.vfio.memlockBytes=65536`);
  });

  it('offers the per-device memlock sizing of a vIOMMU guest for the report 1 lines (kubevirt/kubevirt#18915)', () => {
    for (const line of [
      'vfio_container_dma_map(...) = -12 (Cannot allocate memory)',
      'vfio 0000:xx:00.0: failed to setup container for group N: memory listener initialization failed: Region ram-node0: vfio_container_dma_map(...) = -12 (Cannot allocate memory)',
      'vfio_pin_pages_remote: RLIMIT_MEMLOCK (9663676416) exceeded',
    ]) {
      const e = explainLogLine(line).find((x) => x.pattern === 'memlock-per-device-container');
      expect(e, line).toBeDefined();
      expect(e!.mechanism).toMatch(/devices x guest RAM/);
      expect(e!.preset).toBe('field-viommu-memlock-per-device');
    }
    expect(explainLogLine('vfio_container_dma_map(...) = -17 (File exists)').map((e) => e.pattern)).not.toContain(
      'memlock-per-device-container',
    );
  });

  it('names the iommufd BAR preset for the report 4 lines (NVIDIA/NV-Kernels#248/#249), and keeps guest RAM lines on the RAM presets', () => {
    const [enomem] = explainLogLine(
      'warning: vfio_container_dma_map(0x1, 0x380000000000, 0x800000000, 0x7e0000000000) = -12 (Cannot allocate memory)',
    );
    expect(enomem!.preset).toBe('field-iommufd-bar-memlock');
    expect(enomem!.variant).toBe('charged');
    expect(enomem!.knobs.map((k) => k.path)).toContain('host.iommufd.pfnmap');
    expect(enomem!.numbers).toMatchObject({ errno: 12, iova: 0x380000000000, size: 0x800000000 });
    expect(enomem!.set).toEqual(['vms.0.devices.0.barBytes=34359738368']);
    expect(explainLogLine('warning: vfio_container_dma_map(...) = -12 (Cannot allocate memory)')[0]!.set).toEqual([]);
    const [efault] = explainLogLine('warning: IOMMU_IOAS_MAP failed: Bad address, PCI BAR?');
    expect(efault!.variant).toBe('upstream');
    // Guest RAM failing at setup is an error, not a warning: still the RLIMIT_MEMLOCK presets.
    const [ram] = explainLogLine('vfio_container_dma_map(...) = -12 (Cannot allocate memory)');
    expect(ram!.preset).toBe('field-memlock-too-small');
  });

  it('matches nothing in an unrelated line', () => {
    expect(explainLogLine('eth0: link up, 10Gbps')).toEqual([]);
  });

  it('offers only presets that exist, and cites a source for every pattern', () => {
    const ids = new Set(PRESETS.map((p) => p.id));
    for (const c of CASES) for (const e of explainLogLine(c.line)) if (e.preset !== null) expect(ids, `${c.line}`).toContain(e.preset);
    for (const p of LOG_PATTERNS) expect(p.source).toMatch(/^(L|Q|Cloud Hypervisor) /);
  });
});
