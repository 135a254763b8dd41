// PowerPC sPAPR presets: reference 001 (the PAPR guest's windows and hypercalls, and
// what nesting under PowerVM costs) and the cost of a DMA window change served by switching address
// spaces and copying (reference 001's proposal), under PowerNV KVM and nested PowerVM.
// Must not: hold presets of other architectures.

import type { Preset } from './presetTypes';

const REF001 = 'reference 001 (David Gibson / Jason Gunthorpe, "iommufd: vfio container FD ioctl compatibility", May 2022)';
const LIOBN_DEFAULT = '0x80000000';
const LIOBN_DDW = '0x80000001';
const DDW_BASE = '0x800000000000000';
const TCE_64K = 65536;
const MAPPINGS = 1000;

const papr: Preset = {
  id: 'ppc-papr-ddw-nested',
  title: 'PAPR guest: default window, DDW at 2^59, a third window refused; nested on PowerVM',
  summary:
    'A pseries guest on one guest PHB (firmware-level calls: the guest kernel leaves the windows alone, disable_ddw). The default window is ' +
    '1 GiB of 4 KiB TCEs; ibm,create-pe-dma-window puts the second window at 2^59 and refuses a third; bad LIOBNs and indexes get H_PARAMETER. ' +
    'A H_PUT_TCE_INDIRECT running past the window keeps the entries before the bad one when QEMU serves it, but KVM checks the whole range first. ' +
    'Then 1000 TCEs are mapped and cleared in the DDW: nested on PowerVM every guest TCE costs an exit through L0 and an H_GET_TCE + H_PUT_TCE ' +
    'from the L1 kernel to PowerVM per host PE, so two host PEs under one guest PHB double every write, where PowerNV shares one table.',
  thread: REF001,
  scenario: {
    name: 'ppc-papr-ddw-nested',
    host: { arch: 'ppc64le', hypervisor: 'powernv', vfio: { backend: 'spapr-tce-v2' } },
    vms: [
      {
        name: 'vm0',
        vcpus: 4,
        viommu: { model: 'spapr-tce', spapr: { guestDisableDdw: true } },
        devices: [
          { name: 'nvme0', hostPe: 0, guestPe: 0 },
          { name: 'nvme1', hostPe: 0, guestPe: 0 },
        ],
      },
    ],
    workload: {
      kind: 'ops',
      steps: [
        { op: 'rtas.ibm,query-pe-dma-window', args: {} },
        { op: 'hcall.H_PUT_TCE', args: { liobn: LIOBN_DEFAULT, ioba: '0x3ffff000', tce: '0x10000003' } },
        { op: 'hcall.H_PUT_TCE', args: { liobn: LIOBN_DEFAULT, ioba: '0x40000000', tce: '0x10000003' } },
        { op: 'hcall.H_PUT_TCE', args: { liobn: '0x12345', ioba: '0x1000', tce: '0x10000003' } },
        { op: 'rtas.ibm,create-pe-dma-window', args: { pageShift: 16, windowShift: 33 } },
        { op: 'rtas.ibm,create-pe-dma-window', args: { pageShift: 16, windowShift: 30 } },
        { op: 'rtas.ibm,create-pe-dma-window', args: { pageShift: 16, windowShift: 12 } },
        {
          op: 'hcall.H_PUT_TCE_INDIRECT',
          args: { liobn: LIOBN_DEFAULT, ioba: '0x3fffe000', list: ['0x20000003', '0x20001003', '0x20002003', '0x20003003'] },
        },
        { op: 'hcall.H_GET_TCE', args: { liobn: LIOBN_DEFAULT, ioba: '0x3fffe000' } },
        {
          op: 'hcall.H_PUT_TCE',
          args: { liobn: LIOBN_DDW, ioba: DDW_BASE, tce: 3 },
          repeat: { count: MAPPINGS, add: { ioba: TCE_64K, tce: TCE_64K } },
        },
        {
          op: 'hcall.H_STUFF_TCE',
          args: { liobn: LIOBN_DDW, ioba: DDW_BASE, value: 0, count: 1 },
          repeat: { count: MAPPINGS, add: { ioba: TCE_64K } },
        },
        { op: 'rtas.ibm,remove-pe-dma-window', args: { liobn: LIOBN_DDW } },
        { op: 'rtas.ibm,remove-pe-dma-window', args: { liobn: LIOBN_DDW } },
        { op: 'rtas.ibm,reset-pe-dma-window', args: {} },
        { op: 'rtas.ibm,query-pe-dma-window', args: {} },
      ],
    },
  },
  variants: [
    { name: 'powernv', description: 'KVM on PowerNV, in-kernel TCE handling, one host PE', set: [] },
    {
      name: 'qemu',
      description: 'KVM on PowerNV, TCE hypercalls served by QEMU (no KVM_CAP_SPAPR_TCE_VFIO)',
      set: ['vms.0.viommu.spapr.inKernelTce=false'],
    },
    { name: 'nested', description: 'the same guest as L2 of KVM in a PowerVM LPAR, one host PE', set: ['host.hypervisor=powervm-nested'] },
    { name: 'powernv2pe', description: 'PowerNV, the two devices in two host PEs under one guest PHB', set: ['vms.0.devices.1.hostPe=1'] },
    {
      name: 'nested2pe',
      description: 'nested PowerVM, the two devices in two host PEs under one guest PHB',
      set: ['host.hypervisor=powervm-nested', 'vms.0.devices.1.hostPe=1'],
    },
  ],
  claims: [
    {
      id: 'query-one-free',
      text: 'ibm,query-pe-dma-window: one window free (2 - the default), largest block 0x80000000 TCEs, page sizes 4K|64K|16M|2M (mask 0x107: pseries-4.2 and newer accept 2M and 16M, QEMU 7.1 and newer report 2M).',
      source: 'Q spapr_rtas_ddw.c rtas_ibm_query_pe_dma_window, spapr_page_mask_to_query_mask; spapr_pci.c pgsz',
      step: 0,
      variant: 'powernv',
      errno: null,
      ret: { avail: 1, largestBlock: 0x8000_0000, pageMask: 0x107 },
    },
    {
      id: 'default-window-1g',
      text: 'The default window ends at 1 GiB: its last TCE can be written...',
      source: 'Q spapr_pci.c (dma_win_size 0x40000000)',
      step: 1,
      variant: 'powernv',
      errno: null,
    },
    {
      id: 'past-window-h-parameter',
      text: '...and an index past the table is H_PARAMETER.',
      source: 'Q spapr_iommu.c put_tce_emu; L kvmppc_ioba_validate',
      step: 2,
      variant: 'powernv',
      errno: 'H_PARAMETER',
    },
    {
      id: 'unknown-liobn',
      text: 'An unknown LIOBN is H_PARAMETER.',
      source: 'Q spapr_iommu.c h_put_tce',
      step: 3,
      variant: 'powernv',
      errno: 'H_PARAMETER',
    },
    {
      id: 'ddw-at-2-59',
      text: 'The DDW is created at 2^59 with the second LIOBN of the PHB.',
      source: REF001 + '; Q spapr_pci.c dma64_win_addr',
      step: 4,
      variant: 'powernv',
      errno: null,
      ret: { liobn: 0x8000_0001, base: '0x800000000000000' },
    },
    {
      id: 'third-window-refused',
      text: 'A third window is refused with RTAS HW_ERROR (at most two windows per PE).',
      source: REF001 + '; Q spapr_rtas_ddw.c rtas_ibm_create_pe_dma_window',
      step: 5,
      variant: 'powernv',
      errno: 'RTAS_HW_ERROR',
    },
    {
      id: 'window-shift-below-page',
      text: 'window_shift < page_shift is RTAS PARAM_ERROR (checked before the window count).',
      source: 'Q spapr_rtas_ddw.c rtas_ibm_create_pe_dma_window',
      step: 6,
      variant: 'powernv',
      errno: 'RTAS_PARAM_ERROR',
    },
    {
      id: 'indirect-partial-qemu',
      text: 'QEMU: H_PUT_TCE_INDIRECT running past the window fails H_PARAMETER after writing the 2 entries before the bad one...',
      source: 'Q spapr_iommu.c h_put_tce_indirect',
      step: 7,
      variant: 'qemu',
      errno: 'H_PARAMETER',
      ret: 2,
    },
    {
      id: 'indirect-kept-qemu',
      text: '...and the first entry stays in the table.',
      source: 'Q spapr_iommu.c h_put_tce_indirect',
      step: 8,
      variant: 'qemu',
      errno: null,
      ret: 0x2000_0003,
    },
    {
      id: 'indirect-all-or-nothing-kvm',
      text: 'KVM (in-kernel): the whole range is checked first, nothing is written.',
      source: 'L book3s_64_vio.c kvmppc_h_put_tce_indirect (kvmppc_ioba_validate for npages)',
      step: 7,
      variant: 'powernv',
      errno: 'H_PARAMETER',
      ret: 0,
    },
    {
      id: 'remove-twice',
      text: 'Removing a window that is gone is RTAS PARAM_ERROR.',
      source: 'Q spapr_rtas_ddw.c rtas_ibm_remove_pe_dma_window',
      step: 12,
      variant: 'powernv',
      errno: 'RTAS_PARAM_ERROR',
    },
    {
      id: 'reset-restores-default',
      text: 'After ibm,reset-pe-dma-window only the default window is left (one free).',
      source: 'Q spapr_pci.c spapr_phb_dma_reset',
      step: 14,
      variant: 'powernv',
      errno: null,
      ret: { avail: 1, largestBlock: 0x8000_0000, pageMask: 0x107 },
    },
    {
      id: 'nested-hop-per-tce',
      text: 'Nested on PowerVM, every guest TCE becomes an H_PUT_TCE from the L1 kernel to PowerVM (one host PE)...',
      source: REF001 + '; L pseries/iommu.c tce_exchange_pseries',
      metric: 'nested:nested.l0.H_PUT_TCE',
      per: 'nested:tce.guestWrites',
      op: 'between',
      value: 0.99,
      valueMax: 1.01,
    },
    {
      id: 'powernv-no-hop',
      text: '...which KVM on PowerNV never makes (it writes the host table itself).',
      source: REF001,
      metric: 'powernv:nested.l0.H_PUT_TCE',
      op: '==',
      value: 0,
    },
    {
      id: 'nested-reflects-every-hcall',
      text: 'Nested, every L2 hypercall comes back to L1 through H_GUEST_RUN_VCPU (exit reason 0xC00).',
      source: 'L Documentation/arch/powerpc/kvm-nested.rst',
      metric: 'nested:hcall.H_GUEST_RUN_VCPU',
      per: 'nested:nested.hcallExits',
      op: '==',
      value: 1,
    },
    {
      id: 'nested-mapping-cost',
      text: 'The same mappings take several times longer nested on PowerVM than on PowerNV.',
      source:
        'reference 001; docs/model.md, default costs (assumptions: nested exit 2x, L1 -> L0 hypercall 1 us, in-kernel H_PUT_TCE 0.3 us)',
      metric: 'nested:hcall.busyMs',
      per: 'powernv:hcall.busyMs',
      op: '>=',
      value: 4,
    },
    {
      id: 'nested-duplicates-per-pe',
      text: 'Nested, devices sharing one guest PHB but sitting in two host PEs need every mapping written once per PE.',
      source: REF001 + ' ("duplicating mappings across the PEs")',
      metric: 'nested2pe:tce.hostWrites',
      per: 'nested2pe:tce.guestWrites',
      op: 'between',
      value: 1.99,
      valueMax: 2.01,
    },
    {
      id: 'nested-duplicates-l0-calls',
      text: 'Each duplicate is its own hypercall to PowerVM.',
      source: REF001,
      metric: 'nested2pe:nested.l0.H_PUT_TCE',
      per: 'nested2pe:tce.guestWrites',
      op: 'between',
      value: 1.99,
      valueMax: 2.01,
    },
    {
      id: 'powernv-shares-table',
      text: 'On PowerNV the two PEs share one TCE table: one host write per guest TCE.',
      source: 'L vfio_iommu_spapr_tce.c tce_iommu_attach_group (set_window links the table to every PE)',
      metric: 'powernv2pe:tce.hostWrites',
      per: 'powernv2pe:tce.guestWrites',
      op: 'between',
      value: 0.99,
      valueMax: 1.01,
    },
  ],
};

const windowChange: Preset = {
  id: 'ppc-window-change-nested',
  title: 'DMA window change at run time: in place vs switch-and-copy, PowerNV vs nested PowerVM',
  summary:
    'Two NVMe on one guest PHB in two host PEs: nvme0 (32-bit DMA mask) maps per IO in the default window under fio 4 KiB random reads; nvme1 ' +
    '(64-bit) had a DDW with all 8 GiB of RAM mapped at probe. At 50 ms the guest replaces the 64-bit window (remove + create 2^33 of 64 KiB ' +
    'TCEs). Served in place the host just removes and creates the window; served by switching to a new address space the still-valid mappings ' +
    "(the default window's in-flight TCEs) are copied first. The guest then maps RAM into the new window again. DMA calls on the PHB wait: the stall. " +
    'Nested on PowerVM every copied or remapped TCE is an exchange through PowerVM per host PE.',
  thread: REF001,
  scenario: {
    name: 'ppc-window-change-nested',
    durationMs: 100,
    host: { arch: 'ppc64le', hypervisor: 'powernv', vfio: { backend: 'spapr-tce-v2' } },
    vms: [
      {
        name: 'vm0',
        vcpus: 4,
        viommu: { model: 'spapr-tce' },
        devices: [
          { name: 'nvme0', kind: 'nvme', dmaMaskBits: 32, hostPe: 0, guestPe: 0 },
          { name: 'nvme1', kind: 'nvme', hostPe: 1, guestPe: 0 },
        ],
      },
    ],
    workload: { kind: 'fio', rw: 'randread', blockSizeBytes: 4096, iodepth: 32, numjobs: 4, device: 'nvme0' },
    faults: [{ kind: 'window-change', atMs: 50, pe: 1, pageShift: 16, windowShift: 33 }],
  },
  variants: [
    {
      name: 'powernvInPlace',
      description: 'PowerNV, window changed in place in the container',
      set: ['vms.0.viommu.spapr.windowChange=in-place'],
    },
    { name: 'powernvCopy', description: 'PowerNV, switch to a new address space and copy', set: [] },
    {
      name: 'nestedInPlace',
      description: 'nested PowerVM, window changed in place',
      set: ['host.hypervisor=powervm-nested', 'vms.0.viommu.spapr.windowChange=in-place'],
    },
    { name: 'nestedCopy', description: 'nested PowerVM, switch and copy', set: ['host.hypervisor=powervm-nested'] },
  ],
  claims: [
    {
      id: 'copy-copies-valid-tces',
      text: "Switch-and-copy copies the mappings that stay valid (the default window's live TCEs).",
      source: REF001 + ' ("maps in the lower range would have to be copied over")',
      metric: 'powernvCopy:window.copiedTces',
      op: '>',
      value: 0,
    },
    {
      id: 'in-place-copies-nothing',
      text: 'In place, nothing is copied.',
      source: 'L vfio_iommu_spapr_tce.c (TCE_REMOVE / TCE_CREATE)',
      metric: 'powernvInPlace:window.copiedTces',
      op: '==',
      value: 0,
    },
    {
      id: 'copy-costs-more-nested',
      text: 'Nested on PowerVM the window change takes many times longer than on PowerNV.',
      source: REF001 + ' (nothing can be built in a domain and then moved atomically)',
      metric: 'nestedCopy:window.changeMs',
      per: 'powernvCopy:window.changeMs',
      op: '>=',
      value: 5,
    },
    {
      id: 'copy-adds-little',
      text: 'The copy itself adds little (under 5 %): the default window holds only the mappings in flight; mapping RAM again dominates.',
      source: REF001 + ' ("It is a bit more CPU work since maps in the lower range would have to be copied over")',
      metric: 'nestedCopy:window.changeMs',
      per: 'nestedInPlace:window.changeMs',
      op: 'between',
      value: 1,
      valueMax: 1.05,
    },
    {
      id: 'guest-remaps-ram',
      text: 'The guest maps all 8 GiB of RAM into the new window again (131072 TCEs of 64 KiB).',
      source: 'L pseries/iommu.c enable_ddw (walk_system_ram_range)',
      metric: 'nestedCopy:window.guestRemapTces',
      op: '==',
      value: 131072,
    },
    {
      id: 'io-stalls',
      text: 'DMA calls on the PHB wait for the change: the IO stall.',
      source: REF001,
      metric: 'nestedCopy:window.blockedCalls',
      op: '>',
      value: 0,
    },
    {
      id: 'ddw-setup-nested',
      text: 'Setting up the DDW at probe (mapping all RAM) costs several times more nested on PowerVM.',
      source: 'L pseries/iommu.c enable_ddw; docs/model.md, default costs (assumptions)',
      metric: 'nestedCopy:ddw.setupMs',
      per: 'powernvCopy:ddw.setupMs',
      op: '>=',
      value: 3,
    },
  ],
};

export const PPC_PRESETS: readonly Preset[] = [papr, windowChange];
