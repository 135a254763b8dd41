// The dependency graph checks that fail `npm test`: no import cycles anywhere, the folder
// direction of README.md's folder map (core <- db <- electron; renderer and e2e only through
// core/contract), checked here on the resolved graph as a second line behind the ESLint zones, and
// the direction inside core/ from tooling/coreLayers.cjs (one rule per layer, its reason as the
// comment).
const { CORE_LAYERS } = require('./tooling/coreLayers.cjs');

const TEST_FILE = '\\.test(kit)?\\.ts$';
const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** One rule per core layer: a file of the layer may import core/ only from the layers it lists. */
const coreLayerRules = CORE_LAYERS.map(({ layer, may, reason }) => ({
  name: `core-${layer.replace(/\//g, '-')}`,
  severity: 'error',
  comment: `${layer} may import only ${may.length > 0 ? may.join(', ') : 'nothing else in core'}: ${reason}.`,
  from: { path: `^core/${escapeRe(layer)}/`, pathNot: TEST_FILE },
  to: { path: '^core/', pathNot: `^core/(${[layer, ...may].map(escapeRe).join('|')})/` },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...coreLayerRules,
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'Import cycles make initialization order fragile and layers impossible to reason about (Perfetto could never turn this check on after the fact).',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-is-pure',
      severity: 'error',
      comment: 'core/ is the simulator: it imports nothing from db/, electron/, renderer/ or e2e/.',
      from: { path: '^core/' },
      to: { path: '^(db|electron|renderer|e2e)/' },
    },
    {
      name: 'core-no-node',
      severity: 'error',
      comment: 'core/ runs anywhere: no Node built-ins (test files excepted).',
      from: { path: '^core/', pathNot: '\\.test(kit)?\\.ts$' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'db-only-core',
      severity: 'error',
      comment: 'db/ may import core/ only.',
      from: { path: '^db/' },
      to: { path: '^(electron|renderer|e2e)/' },
    },
    {
      name: 'electron-not-renderer',
      severity: 'error',
      comment: 'The main-process side talks to the renderer only through the typed API.',
      from: { path: '^electron/' },
      to: { path: '^(renderer|e2e)/' },
    },
    {
      name: 'renderer-only-contract',
      severity: 'error',
      comment: 'The renderer uses only core/contract (types); never db/, electron/ or the simulator.',
      from: { path: '^renderer/' },
      to: { path: '^(db|electron|e2e)/|^core/(?!contract/)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(out|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.test.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.vue', '.js', '.mjs', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
