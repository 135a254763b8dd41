// Timeline event kinds shared by the two VT-d page-table writers: the guest's intel-iommu driver
// under QEMU's emulated VT-d (intelIommuGuest.ts) and the bare-metal host's driver on the physical
// VT-d (hostVtdDriver.ts). One declaration, so both record the same kind with the same arguments
// (TimelineRecorder.defineKind refuses a name redefined differently).
// Must not: hold kinds only one of them records.

import type { TimelineKindDef } from '../../sim/timelineRecorder';

/** intel_iommu_map -> __domain_mapping failed (a page-table page could not be allocated: -ENOMEM). */
export const VTD_MAP_FAILED: TimelineKindDef = {
  name: 'vtd.map.failed',
  args: [
    { name: 'errno', format: 'errno' },
    { name: 'iova', format: 'hex' },
  ],
  failure: true,
};
