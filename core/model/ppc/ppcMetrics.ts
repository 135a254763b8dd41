// Names, units and meanings of the metrics the sPAPR guest side reports (hypercalls, DDW RTAS calls,
// TCE writes, nested PowerVM hops, DDW setup, window changes), for the run's metric catalog.
// Must not: compute metrics (the model objects do).

import { metric as m, type MetricInfo } from '../../contract/catalog';
import { HCALL_NAMES } from './qemu/spaprHcalls';
import { RTAS_DDW_NAMES } from './qemu/spaprRtasDdw';

const H_GUEST: readonly [string, string][] = [
  ['H_GUEST_GET_CAPABILITIES', 'L1 asks PowerVM which L2 capabilities it supports (once, at L1 boot)'],
  ['H_GUEST_SET_CAPABILITIES', 'L1 tells PowerVM the capabilities it uses'],
  ['H_GUEST_CREATE', 'L1 creates the L2 guest'],
  ['H_GUEST_CREATE_VCPU', 'L1 creates an L2 vCPU'],
  ['H_GUEST_SET_STATE', 'L1 sets L2 state (guest-wide, and per vCPU incl. its run buffers 0x0C00/0x0C01)'],
  ['H_GUEST_RUN_VCPU', 'L1 runs an L2 vCPU again after serving an L2 exit (here: each L2 hypercall)'],
];

export const SPAPR_GUEST_METRICS: readonly MetricInfo[] = [
  ...HCALL_NAMES.map((n) => m(`hcall.${n}`, 'calls', `${n} hypercalls the guest made`)),
  m('hcall.failed', 'calls', 'TCE hypercalls that returned an error to the guest (H_PARAMETER...)'),
  m('hcall.inKernel', 'calls', 'TCE hypercalls KVM served in the kernel (KVM_CAP_SPAPR_TCE_VFIO)'),
  m('hcall.toQemu', 'calls', 'TCE hypercalls QEMU served after an exit to user space'),
  m('hcall.tooHard', 'calls', 'TCE hypercalls KVM passed to QEMU with H_TOO_HARD (unknown to KVM: TCE outside RAM, ...)'),
  m('hcall.busyMs', 'ms', 'simulated time guest vCPUs spent in TCE hypercalls, issue to return'),
  ...RTAS_DDW_NAMES.map((n) => m(`rtas.${n}`, 'calls', `${n} RTAS calls the guest made`)),
  m('ddw.rtasFailures', 'calls', 'DDW RTAS calls that returned an error (RTAS_PARAM_ERROR, RTAS_HW_ERROR)'),
  m('ddw.created', 'windows', 'DMA windows created by ibm,create-pe-dma-window'),
  m('ddw.setups', 'calls', 'enable_ddw runs of the guest (one per PE node and attempt)'),
  m('ddw.setupMs', 'ms', 'simulated time the guest spent setting up DDWs (query, create, mapping all RAM)'),
  m('ddw.setupHcalls', 'calls', 'hypercalls and RTAS calls of the DDW setups'),
  m('ddw.fallbacks', 'calls', 'DDW setups that failed: the PE keeps the default window (failed_ddw_pdn_list)'),
  m('ddw.directMappedBytes', 'bytes', 'guest RAM mapped into a DDW once so DMA maps are an offset (direct mapping)'),
  m('tce.guestWrites', 'TCEs', 'guest TCE table entries written by hypercalls (maps and clears)'),
  m('tce.hostWrites', 'TCEs', 'host TCE entries written to mirror them, summed over every host table (per host PE when nested)'),
  m('tce.unbackedMaps', 'TCEs', 'guest TCEs QEMU could not map on the host (page outside guest RAM: logged, not mapped)'),
  m('tce.liveGuestPeak', 'TCEs', 'most live TCEs in one guest window at once'),
  m('spapr.hostWindowFailures', 'windows', 'guest windows the host could not mirror (QEMU would hw_error; the lab refuses the RTAS call)'),
  m('spapr.hostSetupFailures', 'PHBs', 'guest PHBs whose VFIO SPAPR containers could not be set up (QEMU would not start)'),
  m('guest.spaprResets', 'resets', 'guest PHBs reset to their default window because the guest rebooted'),
  ...H_GUEST.map(([n, d]) => m(`hcall.${n}`, 'calls', d)),
  m('nested.hcallExits', 'exits', 'L2 hypercalls PowerVM reflected to L1 (H_GUEST_RUN_VCPU exit reason 0xC00)'),
  m('nested.l0.H_PUT_TCE', 'calls', 'H_PUT_TCE calls the L1 kernel made to PowerVM (each host TCE write: tce_exchange_pseries)'),
  m('nested.l0.H_GET_TCE', 'calls', 'H_GET_TCE calls the L1 kernel made to PowerVM (the read half of each exchange)'),
  m('nested.l0.H_STUFF_TCE', 'calls', 'H_STUFF_TCE calls the L1 kernel made to PowerVM (cleaning a removed window)'),
  m('nested.l0.rtas', 'calls', 'DDW RTAS calls the L1 kernel made to PowerVM for host PEs'),
  m('nested.l0Ms', 'ms', 'simulated time spent in L1 -> L0 calls'),
  m('nested.l0LockWaitMs', 'ms', "time L1 CPUs waited for a host PE's TCE table lock (tce_exchange_pseries)"),
  m('window.blockedCalls', 'calls', 'guest DMA calls and hypercalls that waited for a window change of their PHB'),
  m('window.changes', 'changes', 'DMA window changes served (fault window-change)'),
  m('window.changeFailures', 'changes', 'window changes the RTAS calls refused'),
  m('window.copiedTces', 'TCEs', 'still-valid TCEs copied into the new address space (switch-and-copy)'),
  m('window.guestRemapTces', 'TCEs', 'TCEs the guest wrote to map all RAM into the new window again'),
  m('window.changeMs', 'ms', 'simulated time of all window changes (RTAS, host windows, copy, guest remap)'),
  m('window.stallMsMax', 'ms', 'longest window change: how long DMA calls on the PHB were held'),
  m('window.directLost', 'devices', 'PE nodes whose direct DDW could not be restored (new window too small for RAM)'),
  m('pseries.directMaps', 'calls', 'DMA maps served by the direct DDW (no hypercall)'),
  m('pseries.unmapErrors', 'calls', 'unmaps of addresses the pseries layer had not mapped (refused, iommu_free_check)'),
];
