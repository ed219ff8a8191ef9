// `npm start`: a simulated seven-region fleet in three data zones, its telemetry
// service, and the router in front of it, on an embedded config. Ctrl-C stops it all.
import { parseArgs } from 'node:util';
import { validateConfig } from './config/validate.js';
import type { Config } from './config/types.js';
import { createLogger } from './logger/logger.js';
import { showConversation } from './demo-conversation.js';
import { demoLog } from './demo-log.js';
import { Router } from './router/router.js';
import { stopOnSignals } from './cli-signals.js';
import { startSimFleet, type SimFleet, type SimRegionOptions } from './sim/index.js';

export const DEMO_ZONES: Readonly<Record<string, readonly string[]>> = {
  us: ['eastus2', 'centralus'],
  apac: ['australiaeast', 'koreacentral'],
  eu: ['norwayeast', 'swedencentral', 'uksouth'],
};

// Capacities differ and other tenants' load moves in slow waves, so the capacity table
// (and with it the shares on /capacity) visibly changes while the demo runs.
export const DEMO_REGIONS: readonly SimRegionOptions[] = [
  { region: 'eastus2', capacity: 60, backgroundLoad: 20, backgroundWavePeriodMs: 40_000, ttftMs: 150, perTokenMs: 25 },
  {
    region: 'centralus',
    capacity: 40,
    backgroundLoad: 10,
    backgroundWavePeriodMs: 55_000,
    ttftMs: 150,
    perTokenMs: 25,
  },
  {
    region: 'australiaeast',
    capacity: 30,
    backgroundLoad: 12,
    backgroundWavePeriodMs: 35_000,
    ttftMs: 200,
    perTokenMs: 30,
  },
  {
    region: 'koreacentral',
    capacity: 30,
    backgroundLoad: 8,
    backgroundWavePeriodMs: 45_000,
    ttftMs: 200,
    perTokenMs: 30,
  },
  {
    region: 'norwayeast',
    capacity: 20,
    backgroundLoad: 6,
    backgroundWavePeriodMs: 50_000,
    ttftMs: 180,
    perTokenMs: 25,
  },
  {
    region: 'swedencentral',
    capacity: 50,
    backgroundLoad: 25,
    backgroundWavePeriodMs: 30_000,
    ttftMs: 180,
    perTokenMs: 25,
  },
  { region: 'uksouth', capacity: 40, backgroundLoad: 15, backgroundWavePeriodMs: 60_000, ttftMs: 170, perTokenMs: 25 },
];

export const DEMO_MODELS = ['gpt-5.2', 'gpt-5-mini'];

/** The embedded demo config, pointed at a running fleet. */
export function demoConfig(fleet: SimFleet, port: number, adminPort: number): unknown {
  return {
    listen: { host: '127.0.0.1', port },
    admin: { host: '127.0.0.1', port: adminPort },
    zones: DEMO_ZONES,
    backends: fleet.backends.map((b) => ({ region: b.region, url: b.url })),
    deployments: [
      { name: 'chat-global', model: 'gpt-5.2', type: 'global' },
      { name: 'chat-us', model: 'gpt-5.2', type: 'datazone', zone: 'us' },
      { name: 'chat-eu', model: 'gpt-5.2', type: 'datazone', zone: 'eu' },
      { name: 'chat-apac', model: 'gpt-5.2', type: 'datazone', zone: 'apac' },
      { name: 'chat-east', model: 'gpt-5.2', type: 'regional', region: 'eastus2' },
      { name: 'mini-global', model: 'gpt-5-mini', type: 'global' },
    ],
    telemetry: { url: fleet.telemetryUrl, intervalMs: 500, staleAfterMs: 3000, minCoverage: 0.75 },
    conservative: { maxShareFactor: 1.5 },
  };
}

function port(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    process.stderr.write(`switchyard demo: ${name} must be an integer port 0..65535, got "${value}"\n`);
    process.exit(2);
  }
  return n;
}

export async function runDemo(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { port: { type: 'string' }, 'admin-port': { type: 'string' } },
    strict: true,
  });
  const dataPort = port(values.port ?? process.env.PORT, 8080, '--port');
  const adminPort = port(values['admin-port'] ?? process.env.ADMIN_PORT, 8081, '--admin-port');
  const fleet = await startSimFleet({ regions: [...DEMO_REGIONS], models: DEMO_MODELS, defaultTokens: 24 });
  const checked = validateConfig(demoConfig(fleet, dataPort, adminPort));
  if (!checked.ok) {
    await fleet.close();
    throw new Error(`embedded demo config is invalid:\n${checked.errors.join('\n')}`);
  }
  const config: Config = checked.config;
  const log = demoLog();
  const logger = createLogger(config.log.level, log.destination);
  const router = new Router({ config, logger });
  let addresses: Awaited<ReturnType<Router['start']>>;
  try {
    addresses = await router.start();
  } catch (err) {
    log.open();
    await fleet.close();
    process.stderr.write(
      `switchyard demo: could not listen (${(err as Error).message}); free the port or pass --port/--admin-port (0 picks a free one)\n`,
    );
    process.exit(1);
  }
  const data = `http://127.0.0.1:${addresses.data.port}`;
  const admin = `http://127.0.0.1:${addresses.admin.port}`;
  process.stdout.write(
    [
      '',
      'switchyard demo: 7 simulated regions in 3 data zones (us, apac, eu), telemetry every 500 ms',
      `  router (data plane)  ${data}`,
      `  admin                ${admin}/capacity  ${admin}/metrics`,
      `  dashboard            ${admin}/`,
      `  simulator control    ${fleet.controlUrl}`,
      '',
      'try:',
      `  curl -s ${data}/openai/deployments/chat-eu/chat/completions?api-version=2024-10-21 -H 'content-type: application/json' -d '{"messages":[{"role":"user","content":"hi"}]}' -i`,
      `  curl -sN ${data}/v1/chat/completions -H 'content-type: application/json' -d '{"model":"chat-global","stream":true,"messages":[{"role":"user","content":"hi"}]}'`,
      `  curl -s ${data}/v1/responses -H 'content-type: application/json' -d '{"model":"chat-global","input":"hi"}'`,
      `  curl -s ${data}/v1/responses -H 'content-type: application/json' -d '{"model":"chat-global","input":"and then?","previous_response_id":"<id of the answer above>"}'`,
      `  curl -s ${admin}/capacity`,
      `  npx switchyard capacity --admin ${admin} --watch`,
      `  curl -s -X POST ${fleet.controlUrl}/regions/swedencentral/telemetry/drop   # chat-eu turns conservative`,
      `  curl -s -X POST ${fleet.controlUrl}/regions/swedencentral/telemetry/restore`,
      '',
      'A conversation of 6 Responses turns runs through the router now, 7 chat requests beside each turn: the',
      'log shows the chat spread over the regions and every turn of the conversation in the one region that stores it.',
      '',
      'Ctrl-C stops the router and the fleet.',
      '',
    ].join('\n'),
  );
  log.open();
  // Once the first telemetry is in, so that the chat requests spread by the shares.
  const conversation = setTimeout(() => void showConversation(data, logger), config.telemetry.intervalMs * 3);
  stopOnSignals(
    async () => {
      clearTimeout(conversation);
      await router.stop();
      await fleet.close();
    },
    (msg) => logger.info({ reason: msg }, 'shutdown requested'),
  );
}
