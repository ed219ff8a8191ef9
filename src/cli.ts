// The command line: start | validate | demo | capacity | health. The composition root
// for a process: config in, router (and for the demo, a simulated fleet) up, signals
// wired to drain.
//
// The router and the demo are imported when their command runs: `switchyard health`
// runs as a container probe every few seconds and should cost little more than
// starting Node, not load the data plane, metrics and the simulator each time.
import { parseArgs } from 'node:util';
import { loadConfigFile } from './config/load.js';
import { reloadOnHangup, stopOnSignals } from './cli-signals.js';
import type { Router } from './router/router.js';

const USAGE = `usage:
  switchyard start --config FILE      run the router from a YAML or JSON config; SIGHUP reloads FILE
  switchyard validate FILE            check a config (also --config FILE); exit 0, or 2 listing every problem
  switchyard demo [--port N] [--admin-port N]
                                      a simulated seven-region fleet with the router in front (npm start)
  switchyard capacity [--admin URL] [--watch] [--json]
                                      a running router's routing state; exit 0 normal, 1 conservative, 2 unreachable
  switchyard health [--config FILE] [--ready]
                                      exit 0 when the admin listener's /healthz (/readyz) answers 200 (health checks)
FILE defaults to $SWITCHYARD_CONFIG when it is set.`;

/** Exit code for a bad config or bad usage. */
export const EXIT_BAD_INPUT = 2;

function configPath(args: string[]): string | null {
  const { values, positionals } = parseArgs({
    args,
    options: { config: { type: 'string', short: 'c' } },
    allowPositionals: true,
    strict: true,
  });
  return values.config ?? positionals[0] ?? (process.env.SWITCHYARD_CONFIG || null);
}

async function loadOrExit(path: string): Promise<import('./config/types.js').Config> {
  const result = await loadConfigFile(path);
  if (!result.ok) {
    process.stderr.write(`${path}: ${result.errors.length} problem${result.errors.length === 1 ? '' : 's'}\n`);
    for (const e of result.errors) process.stderr.write(`${e}\n`);
    process.exit(EXIT_BAD_INPUT);
  }
  return result.config;
}

async function start(args: string[]): Promise<void> {
  // Signal handlers come first: a SIGTERM while the config loads or the listeners bind
  // (a container stopped during start-up) still ends in an orderly exit 0.
  let router: Router | null = null;
  let log = (msg: string): void => void process.stderr.write(`switchyard: ${msg}\n`);
  stopOnSignals(
    async () => router?.stop(),
    (msg) => log(msg),
  );
  const path = configPath(args);
  if (path === null) {
    process.stderr.write(`switchyard start: --config FILE is required\n${USAGE}\n`);
    process.exit(EXIT_BAD_INPUT);
  }
  // SIGHUP re-reads the same file; before the router runs there is nothing to reload.
  reloadOnHangup(async () => {
    if (router === null) return;
    router.reloadWith(await loadConfigFile(path), path);
  });
  const config = await loadOrExit(path);
  const [{ createLogger }, { Router }] = await Promise.all([
    import('./logger/logger.js'),
    import('./router/router.js'),
  ]);
  const logger = createLogger(config.log.level);
  log = (msg) => logger.info({ reason: msg }, 'shutdown requested');
  router = new Router({ config, logger });
  try {
    await router.start();
  } catch (err) {
    logger.fatal({ err }, 'could not listen');
    await router.stop();
    process.exit(1);
  }
}

async function validate(args: string[]): Promise<void> {
  const path = configPath(args);
  if (path === null) {
    process.stderr.write(`switchyard validate: a config FILE is required\n${USAGE}\n`);
    process.exit(EXIT_BAD_INPUT);
  }
  const config = await loadOrExit(path);
  process.stdout.write(
    `${path}: ok (${config.deployments.length} deployments, ${config.backends.length} backends in ${Object.keys(config.zones).length} zones)\n`,
  );
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'start':
        return await start(rest);
      case 'validate':
        return await validate(rest);
      case 'demo':
        return await (await import('./demo.js')).runDemo(rest);
      case 'capacity':
        return await (await import('./operator/capacity-command.js')).runCapacity(rest);
      case 'health':
        return await (await import('./operator/health-command.js')).runHealth(rest);
      case '--help':
      case '-h':
      case 'help':
        process.stdout.write(`${USAGE}\n`);
        return;
      default:
        process.stderr.write(
          `${command === undefined ? 'no command given' : `unknown command "${command}"`}\n${USAGE}\n`,
        );
        process.exit(EXIT_BAD_INPUT);
    }
  } catch (err) {
    if (
      (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ||
      (err as { code?: string }).code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE'
    ) {
      process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
      process.exit(EXIT_BAD_INPUT);
    }
    throw err;
  }
}

await main(process.argv.slice(2));
