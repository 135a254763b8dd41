// The direction inside core/, as data: each layer, the layers it may import, and why. Like
// Perfetto's import rules, the reasons live beside the rules. .dependency-cruiser.cjs turns every
// entry into a rule ("core-<layer>") that fails `npm test` when a file of the layer imports any
// other core/ folder than those listed; tooling/coreLayers.test.ts proves each rule fires.
// Test files (*.test.ts, *.testkit.ts) are exempt: a test may assemble a whole stack to check one
// layer in place.
//
// Bottom to top: sim <- scenario <- model (base <- shared layers <- platforms) <- stack <- ops,
// faults <- workload <- run. contract (API types) may be read by everything above sim.

const SHARED = ['model/host', 'model/vfio', 'model/iommufd', 'model/qemu', 'model/guestDma', 'model/device', 'model/viommu'];
const PLATFORMS = ['model/x86', 'model/s390', 'model/ppc'];
const MODEL = ['model/base', ...SHARED, ...PLATFORMS];

/** @type {{ layer: string, may: string[], reason: string }[]} */
const CORE_LAYERS = [
  {
    layer: 'sim',
    may: [],
    reason:
      'the event kernel (clock, queue, PRNG, recorder, counters, metric sink) is the bottom: everything runs on it, it knows nothing of what runs',
  },
  {
    layer: 'trace',
    may: [],
    reason:
      'reading real kernel and QEMU traces (ftrace text, QEMU -trace logs) into records is plain text work: it needs no simulator, and the hosts, tooling and the import command build on it',
  },
  {
    layer: 'contract',
    may: ['sim'],
    reason:
      "API types for hosts and the renderer; they only re-export the simulator's plain data shapes (timeline lanes and kinds, counter series)",
  },
  {
    layer: 'scenario',
    may: ['sim', 'contract'],
    reason:
      'what a user writes (schema, presets, loading) is read by the simulator, never the reverse; checks that need registries live in run/',
  },
  {
    layer: 'model/base',
    may: ['sim', 'contract'],
    reason: 'errno, page and bit helpers, the interval map and the layer contract are below every layer',
  },
  {
    layer: 'model/host',
    may: ['model/base', 'sim', 'scenario', 'contract'],
    reason: 'the host process and IOMMU are the ground every host container stands on',
  },
  {
    layer: 'model/vfio',
    may: ['model/host', 'model/base', 'sim', 'scenario', 'contract'],
    reason: 'VFIO type1 (drivers/vfio) sits on the host IOMMU and process',
  },
  {
    layer: 'model/iommufd',
    may: ['model/vfio', 'model/host', 'model/base', 'sim', 'scenario', 'contract'],
    reason: 'iommufd (drivers/iommu/iommufd) sits on the host and serves the VFIO container API through its compat layer',
  },
  {
    layer: 'model/qemu',
    may: ['model/vfio', 'model/host', 'model/base', 'sim', 'scenario', 'contract'],
    reason: 'QEMU (its VM process, IOVA tree) issues VFIO ioctls; it knows no guest and no platform',
  },
  {
    layer: 'model/guestDma',
    may: ['model/base', 'sim', 'scenario', 'contract'],
    reason: "the guest's DMA API (dma-iommu, IOVA allocator, flush queues) talks to an IOMMU driver interface, never to a host layer",
  },
  {
    layer: 'model/device',
    may: ['model/base', 'sim', 'scenario', 'contract'],
    reason: 'devices model service times and lifecycles, not the DMA path',
  },
  {
    layer: 'model/viommu',
    may: ['model/guestDma', 'model/qemu', 'model/vfio', 'model/host', 'model/base', 'sim', 'scenario', 'contract'],
    reason: 'the front-end contract joins a guest DMA layer to QEMU and a host container; platforms implement it',
  },
  ...PLATFORMS.map((layer) => ({
    layer,
    may: [...SHARED, 'model/base', 'sim', 'scenario', 'contract'],
    reason:
      'a platform (x86, s390, ppc) builds on the shared layers; platforms never import each other and shared layers never import a platform',
  })),
  {
    layer: 'stack',
    may: [...MODEL, 'scenario', 'sim', 'contract'],
    reason: 'building the stack of a scenario assembles model objects; it runs no workload and knows no op',
  },
  {
    layer: 'ops',
    may: ['stack', ...MODEL, 'scenario', 'sim', 'contract'],
    reason: 'op tables call layers of a built stack; layers never know the ops that call them',
  },
  {
    layer: 'faults',
    may: ['stack', ...MODEL, 'scenario', 'sim', 'contract'],
    reason: 'fault handlers act on a built stack at a simulated time; layers never know who injects faults',
  },
  {
    layer: 'workload',
    may: ['ops', 'stack', ...MODEL, 'scenario', 'sim', 'contract'],
    reason: 'workloads drive a built stack (ops scripts through the op tables); they never plan or store runs',
  },
  {
    layer: 'run',
    may: ['workload', 'faults', 'ops', 'stack', ...MODEL, 'scenario', 'sim', 'contract'],
    reason: 'plans, runs, claims and the metric catalog sit on top: they may use every layer, no layer may use them',
  },
];

module.exports = { CORE_LAYERS };
