// Pieces of the scenario JSON Schema exactly as zod's toJSONSchema emits them (copied from
// `npx pcilab schema`), for the renderer's schema-reading tests.
import type { JsonSchema } from './jsonSchema';

const u64 = {
  anyOf: [
    { type: 'integer', minimum: 0, maximum: 9007199254740991 },
    { type: 'string', pattern: '^0x[0-9a-fA-F]{1,16}$' },
  ],
};

export const FIXTURE: JsonSchema = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200, description: 'Scenario name, shown in the run list.' },
    durationMs: { default: 1000, description: 'Simulated duration in ms.', type: 'number', exclusiveMinimum: 0, maximum: 3600000 },
    host: {
      default: {},
      type: 'object',
      properties: {
        arch: { default: 'x86_64', description: 'Host and guest architecture.', type: 'string', enum: ['x86_64', 's390x', 'ppc64le'] },
        vfio: {
          default: {},
          type: 'object',
          properties: {
            dmaEntryLimit: {
              default: 65535,
              description: 'Mappings a type1 container may hold at once.',
              mirrors: 'vfio_iommu_type1.dma_entry_limit',
              type: 'integer',
              minimum: 1,
              maximum: 2147483648,
            },
            memlockBytes: {
              description: 'Locked-memory limit of the QEMU process in bytes; null = unlimited.',
              mirrors: 'RLIMIT_MEMLOCK',
              anyOf: [u64, { type: 'null' }],
            },
            disableHugepages: { default: false, type: 'boolean', mirrors: 'vfio_iommu_type1.disable_hugepages' },
          },
          additionalProperties: false,
        },
        spapr: {
          default: {},
          type: 'object',
          properties: {
            pageShifts: { default: [12, 16, 21, 30], minItems: 1, type: 'array', items: { type: 'integer', minimum: 12, maximum: 40 } },
            hostPageShift: {
              default: 16,
              anyOf: [
                { type: 'number', const: 12 },
                { type: 'number', const: 16 },
              ],
            },
          },
        },
      },
    },
    vms: {
      default: [{}],
      minItems: 1,
      maxItems: 16,
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { default: 'vm0', type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_.-]*$' },
          memoryBytes: { ...u64, mirrors: '-m', description: 'Guest RAM in bytes.' },
          vcpus: { default: 4, type: 'integer', minimum: 1, maximum: 256, mirrors: '-smp' },
          guest: {
            default: {},
            type: 'object',
            properties: {
              kernelParams: {
                default: {},
                type: 'object',
                properties: {
                  'iommu.strict': {
                    description: '1 = strict, 0 = lazy.',
                    mirrors: 'iommu.strict',
                    anyOf: [
                      { type: 'number', const: 0 },
                      { type: 'number', const: 1 },
                    ],
                  },
                },
              },
            },
          },
        },
      },
    },
    workload: {
      default: { kind: 'fio' },
      oneOf: [
        {
          type: 'object',
          required: ['kind'],
          properties: {
            kind: { type: 'string', const: 'fio' },
            blockSizeBytes: { default: 4096, type: 'integer', minimum: 512, maximum: 67108864, mirrors: 'fio --bs' },
          },
        },
        {
          type: 'object',
          required: ['kind', 'steps'],
          properties: {
            kind: { type: 'string', const: 'ops' },
            steps: {
              minItems: 1,
              type: 'array',
              items: {
                type: 'object',
                required: ['op'],
                properties: {
                  op: { type: 'string' },
                  args: { default: {}, type: 'object', propertyNames: { type: 'string' }, additionalProperties: {} },
                },
              },
            },
          },
        },
      ],
    },
    faults: {
      maxItems: 10000,
      type: 'array',
      items: {
        oneOf: [
          {
            type: 'object',
            required: ['kind', 'atMs', 'pe'],
            properties: {
              kind: { type: 'string', const: 'eeh-freeze' },
              atMs: { type: 'number', minimum: 0 },
              pe: { type: 'integer', minimum: 0 },
            },
          },
          {
            type: 'object',
            required: ['kind', 'atMs'],
            properties: { kind: { type: 'string', const: 'guest-reset' }, atMs: { type: 'number' } },
          },
        ],
      },
    },
    costs: {
      default: {},
      type: 'object',
      propertyNames: { type: 'string', enum: ['vmExitNs'] },
      additionalProperties: { type: 'number', minimum: 0 },
    },
    refd: { $ref: '#/$defs/Flag' },
  },
  $defs: { Flag: { type: 'boolean', default: true, description: 'a shared flag' } },
};
