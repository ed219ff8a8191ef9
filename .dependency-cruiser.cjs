// The folders of src/ form layers; each may import only from the layers below it (the
// data flow: config -> topology -> telemetry -> planner -> selector -> proxy, with
// resilience and admission (the queues of requests waiting for room) beside the data
// plane, otel (OpenTelemetry export) beside metrics, admin reading everything below it, and the router as the one composition root of a process; net, what undici's errors mean and how a
// URL is shown, imports nothing and is read from every layer). `npm run lint` checks it.
/* eslint-disable */
const LAYERS = [
  ['net', '^src/net/'],
  ['config', '^src/config/'],
  ['logger', '^src/logger/'],
  ['metrics', '^src/metrics/'],
  ['otel', '^src/otel/'],
  ['topology', '^src/topology/'],
  ['telemetry', '^src/telemetry/'],
  ['planner', '^src/planner/'],
  ['selector', '^src/selector/'],
  ['resilience', '^src/resilience/'],
  ['admission', '^src/admission/'],
  ['proxy', '^src/proxy/'],
  ['admin', '^src/admin/'],
  ['router', '^src/router/'],
];

const forbidden = [];
LAYERS.forEach(([name, path], i) => {
  const above = LAYERS.slice(i + 1);
  if (above.length === 0) return;
  forbidden.push({
    name: `layer-${name}`,
    comment: `${name} may import only from the layers below it (${LAYERS.slice(0, i).map(([n]) => n).join(', ') || 'none'})`,
    severity: 'error',
    from: { path },
    to: { path: above.map(([, p]) => p) },
  });
  // Nothing below the composition layers reaches up into the entry points or the simulator.
  forbidden.push({
    name: `no-entry-from-${name}`,
    severity: 'error',
    from: { path },
    to: { path: ['^src/(cli|demo|demo-log|cli-signals)\\.ts$', '^src/operator/', '^src/sim/'] },
  });
});

module.exports = {
  forbidden: [
    ...forbidden,
    {
      name: 'sim-stands-alone',
      comment: 'the simulated fleet is a stand-in for real backends: it knows nothing of the router (its fleet model, sim/loop-model, drives the router code and may)',
      severity: 'error',
      from: { path: '^src/sim/', pathNot: '^src/sim/loop-model/' },
      to: { path: '^src/', pathNot: ['^src/sim/', '^src/config/types\\.ts$'] },
    },
    {
      name: 'no-circular',
      comment: 'no import cycles between modules',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'src-not-from-tests-or-bench',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|replay|tools)/' },
    },
    {
      name: 'tools-below-bench-and-replay',
      comment: 'tools/ is what bench/ and replay/ share: it uses neither',
      severity: 'error',
      from: { path: '^tools/' },
      to: { path: '^(test|bench|replay)/' },
    },
    {
      name: 'replay-not-from-bench',
      comment: 'replay/ and bench/ share only tools/',
      severity: 'error',
      from: { path: '^replay/' },
      to: { path: '^bench/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
