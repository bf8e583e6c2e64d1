// Architecture rules (issue 13), checked by `npm run lint` with dependency-cruiser.
// No baseline of known violations: every rule holds everywhere.

/** Node modules that reach outside the process: the pure core must get these through a port. */
const NODE_IO = [
  'fs', 'fs/promises', 'net', 'http', 'http2', 'https', 'tls', 'dgram', 'dns', 'dns/promises',
  'child_process', 'worker_threads', 'cluster', 'readline', 'inspector',
];
/** Packages that are adapters in disguise: the broker, the socket servers, the stores, the logger. */
const ADAPTER_PACKAGES = ['aedes', 'ws', 'express', 'mqtt', 'influx', 'better-sqlite3', 'pg', 'node-pg-migrate', 'pino', 'helmet', 'prom-client'];
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'pure-core-no-node-io',
      comment: 'The core (src/domain, src/alerts, src/ingest, src/ledger, src/notify, src/routine) decides; it does no I/O. Pass data and time in, hand results out.',
      severity: 'error',
      from: { path: '^src/(domain|alerts|ingest|ledger|notify|routine)/' },
      to: { dependencyTypes: ['core'], path: `^(node:)?(${NODE_IO.map(escape).join('|')})$` },
    },
    {
      name: 'pure-core-no-adapter-packages',
      comment: 'The core does not know the broker, the HTTP or socket servers, the stores or the logger.',
      severity: 'error',
      from: { path: '^src/(domain|alerts|ingest|ledger|notify|routine)/' },
      to: { path: `(^|/)node_modules/(${ADAPTER_PACKAGES.map(escape).join('|')})/` },
    },
    {
      name: 'pure-core-no-adapters',
      comment: 'The core does not import adapters; adapters implement ports the core defines.',
      severity: 'error',
      from: { path: '^src/(domain|alerts|ingest|ledger|notify|routine)/' },
      to: { path: '^src/adapters/' },
    },
    {
      name: 'only-composition-root-to-adapters',
      comment: 'Outside src/adapters only the composition root (service.ts, src/wiring/, main.ts, cli.ts) picks adapters; the rest talks to ports.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(adapters/|domain/|alerts/|wiring/|service\\.ts$|main\\.ts$|cli\\.ts$)' },
      to: { path: '^src/adapters/' },
    },
    {
      name: 'adapter-not-to-other-adapter',
      comment: 'An adapter folder stands alone: share through a port or a module outside src/adapters.',
      severity: 'error',
      from: { path: '^src/adapters/([^/]+)/' },
      to: { path: '^src/adapters/', pathNot: '^src/adapters/$1/' },
    },
    {
      name: 'edge-helpers-stand-alone',
      comment: 'src/edge holds what the adapters on the network edge share (listening, credentials, origins, upgrade refusals); it picks no adapter.',
      severity: 'error',
      from: { path: '^src/edge/' },
      to: { path: '^src/(adapters|wiring)/' },
    },
    {
      name: 'dashboard-not-to-server',
      comment: 'The dashboard is static files served to browsers: it cannot import the server\'s modules.',
      severity: 'error',
      from: { path: '^dashboards/' },
      to: { path: '^src/' },
    },
    {
      name: 'no-circular',
      comment: 'Import cycles make start-up order and module boundaries accidental.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that does not resolve is a typo or a missing dependency.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(data|dist|test/artifacts|bench/results|bench/\\.scratch)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.d.ts', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
