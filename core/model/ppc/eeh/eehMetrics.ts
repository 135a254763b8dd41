// Names, units and meanings of every metric the EEH layer reports (rtas.<name>, eeh.*;
// docs/model.md#eeh).
// Must not: compute metrics (eehSystem.ts does).

import { metric as m, type MetricInfo } from '../../../contract/catalog';
import { EEH_RTAS_CALLS } from './qemuSpaprEeh';

export const EEH_METRICS: readonly MetricInfo[] = [
  ...EEH_RTAS_CALLS.map((c) => m(`rtas.${c}`, 'calls', `guest RTAS ${c} calls QEMU served (EEH)`)),
  m('eeh.freezes', 'freezes', 'host PEs frozen by an error (fault, injection, DMA fault); each error event has a serial'),
  m('eeh.fanOutFreezes', 'freezes', 'host PEs QEMU froze on purpose so that their guest PE stays in one state (fan-out strategy)'),
  m('eeh.recoveries', 'recoveries', 'guest recoveries that ended with "EEH: Recovery successful" (the guest PE back to normal)'),
  m(
    'eeh.permanentFailures',
    'PEs',
    'guest PEs the guest failed permanently (devices removed): a failed step or too many freezes in an hour',
  ),
  m(
    'eeh.inconsistentStates',
    'observations',
    'guest observations of a multi-host-PE guest PE that contradict one PE state: a read-slot-reset-state2 answer not true of every ' +
      'host PE (unavailable excepted while one is), or an MMIO read while one host PE reads all ones and another answers',
  ),
  m('eeh.inconsistentMs', 'ms', 'total time the host PEs of some guest PE were in different states'),
  m('eeh.recoveryTimeMs', 'ms', 'longest successful recovery, from the freeze to the end of resume'),
  m('eeh.duplicateNotificationsMerged', 'notifications', 'error notifications QEMU dropped because it had seen their serial (fan-out)'),
  m('eeh.resolvedPartialFailures', 'calls', 'guest calls that failed on some host PEs only and were resolved to one state (fan-out)'),
  m('eeh.unhandledFreezes', 'freezes', 'errors on guest PEs where QEMU refuses EEH: the guest cannot recover the device'),
  m('eeh.rtasRefused', 'calls', 'EEH RTAS calls answered RTAS_PARAM_ERROR because QEMU keeps EEH off for the PHB (refuse strategy)'),
  m('eeh.detections', 'events', 'freezes the guest detected (eeh_dev_check_failure found the PE frozen)'),
  m('eeh.falsePositives', 'checks', 'all-ones reads whose state check found the PE working (eeh_stats.false_positives)'),
  m('eeh.mmioAllOnesReads', 'reads', 'MMIO reads answered all ones by a frozen PE (EEH_IO_ERROR_VALUE)'),
  m('eeh.mmioWritesDropped', 'writes', 'MMIO writes a frozen PE dropped'),
  m('eeh.dmaBlocked', 'DMAs', 'device DMAs that did not complete because their PE was frozen'),
  m('eeh.vfioPeOps', 'calls', 'VFIO_EEH_PE_OP ioctls on host PEs (QEMU and host-side ops)'),
  m('eeh.hostPesNormal', 'PEs', 'host PEs in the normal state at the end of the run'),
  m('eeh.divergentGuestPes', 'PEs', 'guest PEs in use (not removed) whose host PEs are in different states at the end of the run'),
];
