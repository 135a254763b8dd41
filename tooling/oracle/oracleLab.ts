// The lab's side of an oracle configuration: the scenario that stands for the same guest (the
// vIOMMU with QEMU 7.2's defaults, the kernel parameters, the device, one dd-like reader:
// fio read, 256 KiB blocks, one job at queue depth 1), loaded through loadRunnableScenario and run
// with ScenarioRun, reduced to the quantities oracleObserve.ts reads from the kernel.
// Where the lab refuses the configuration (intel-iommu without caching mode: QEMU refuses to assign
// a device, and the lab models assigned devices only), the refusal is recorded and the guest side
// is run from the schema-valid scenario without that check, so its guest-side rules still compare.
// Must not: read kernel traces (oracleObserve.ts does) or judge agreement.

import { loadRunnableScenario } from '../../core/run/scenarioChecks';
import { loadScenario } from '../../core/scenario/loadScenario';
import { ScenarioRun } from '../../core/run/scenarioRun';
import type { Scenario } from '../../core/scenario/schema';
import type { Stack } from '../../core/stack/stackBuilder';
import { KERNELS } from './oracleKernels';
import { DD_BLOCK_BYTES, type OracleConfig } from './oracleMatrix';

export interface LabMap {
  readonly tNs: number;
  readonly iova: number;
  readonly sizeBytes: number;
}

export interface LabObservation {
  /** The lab's refusal of the scenario (its problems), or null when it ran as is. */
  readonly refused: string | null;
  /** The guest DMA layer the stack built (its label: "iommu-dma (strict)", "pseries-iommu"...). */
  readonly dmaLayer: string;
  readonly ios: number;
  readonly maps: readonly LabMap[];
  readonly unmaps: number;
  /** Bytes covered by each intel-iommu page-selective invalidation (its address mask). */
  readonly psiBytes: readonly number[];
  readonly metrics: Readonly<Record<string, number>>;
  /** Kernel-version inputs the scenario could not express (the 6.1 / 6.12 request split). */
  readonly versionInput: boolean;
}

/**
 * The guest kernel's release as the scenario's version input (core/scenario/versions.ts): it
 * implies what that release does (the nvme dma_opt_mapping_size clamp from 6.4, the IOVA magazine
 * size, s390's dma-iommu from 6.7...), so the lab runs the kernel the oracle booted.
 */
export const KERNEL_VERSION_OVERRIDE: ((version: string) => string) | null = (version) => `vms.0.guest.kernelVersion=${version}`;

export function labScenario(c: OracleConfig): Record<string, unknown> {
  const arch = KERNELS[c.kernel].arch;
  const viommu: Record<string, unknown> = { model: c.viommu };
  // QEMU 7.2's defaults: intel-iommu aw-bits 39, virtio-iommu input range 64 bits (dmesg "input address: 64 bits").
  if (c.viommu === 'intel-iommu') viommu['intel'] = { cachingMode: c.cachingMode, awBits: 39 };
  if (c.viommu === 'virtio-iommu') viommu['virtio'] = { awBits: 64 };
  // An emulated zPCI device has no VFIO dma_avail for QEMU to bound the aperture by.
  if (c.viommu === 's390-zpci') viommu['s390'] = { apertureRestriction: false };
  // Debian's ppc64el kernel has 4 KiB pages; the guest's DDW creation fails under QEMU 7.2 TCG
  // (ibm,create-pe-dma-window returns -3 for the 16 MiB pages it asks for), so it keeps the default window.
  if (c.viommu === 'spapr-tce') viommu['spapr'] = { ddw: false, guestPageShift: 12 };
  return {
    name: `oracle-${c.id}`,
    seed: 1,
    durationMs: 60,
    host: { arch, hypervisor: 'kvm' },
    vms: [
      {
        name: 'vm0',
        vcpus: 2,
        viommu,
        guest: { kernelParams: { 'iommu.strict': c.mode === 'strict' ? 1 : 0 } },
        devices: [{ name: 'dev0', kind: c.device === 'nvme' ? 'nvme' : 'generic' }],
      },
    ],
    workload: { kind: 'fio', rw: 'read', blockSizeBytes: DD_BLOCK_BYTES, iodepth: 1, numjobs: 1 },
  };
}

export function runLab(c: OracleConfig): LabObservation {
  const value = labScenario(c);
  const overrides = KERNEL_VERSION_OVERRIDE === null ? [] : [KERNEL_VERSION_OVERRIDE(KERNELS[c.kernel].id)];
  const loaded = loadRunnableScenario({ value, origin: c.id }, overrides);
  let scenario: Scenario;
  let refused: string | null = null;
  if (loaded.ok) scenario = loaded.scenario;
  else {
    refused = loaded.problems.join('; ');
    // The same scenario with the same version input, checked by the schema alone (QEMU would refuse
    // to assign a device without caching mode; the oracle's devices are emulated).
    const schemaOnly = loadScenario({ value, origin: c.id }, overrides);
    if (!schemaOnly.ok) throw new Error(`oracle: lab scenario for ${c.id} is invalid: ${schemaOnly.problems.join('; ')}`);
    scenario = schemaOnly.scenario;
  }
  let stack: Stack | null = null;
  const run = new ScenarioRun(scenario, { prepare: (s) => (stack = s) });
  const result = run.runToEnd();
  const dmaLayer = (stack as Stack | null)?.vms[0]?.devices[0]?.dma.label ?? '?';
  const tl = run.timeline();
  const kindId = (name: string) => tl.kinds.findIndex((k) => k.name === name);
  const mapKind = kindId('dma.map');
  const unmapKind = kindId('dma.unmap');
  const psiKind = kindId('vtd.invalidate.iotlb');
  const maps: LabMap[] = [];
  const psiBytes: number[] = [];
  let unmaps = 0;
  for (let i = 0; i < tl.count; i++) {
    if (tl.kind[i] === mapKind) maps.push({ tNs: tl.t[i]!, sizeBytes: tl.a0[i]!, iova: tl.a1[i]! });
    else if (tl.kind[i] === unmapKind) unmaps++;
    else if (tl.kind[i] === psiKind) psiBytes.push(tl.a1[i]!);
  }
  return {
    refused,
    dmaLayer,
    ios: result.metrics['io.completed'] ?? 0,
    maps,
    unmaps,
    psiBytes,
    metrics: result.metrics,
    versionInput: KERNEL_VERSION_OVERRIDE !== null,
  };
}
