// Signal handling shared by `start` and `demo`.

/** SIGTERM/SIGINT drain the router and exit 0; a second signal exits at once. */
export function stopOnSignals(stop: () => Promise<void>, log: (msg: string) => void): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    log(`${signal}: draining`);
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`shutdown failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/**
 * SIGHUP re-reads the config (reload); one reload at a time, and a SIGHUP that arrives
 * during one runs another after it (the file may have changed again). Installed from
 * the start: Node's default for SIGHUP is to exit.
 */
export function reloadOnHangup(reload: () => Promise<void>): void {
  let running: Promise<void> | null = null;
  let again = false;
  const run = (): void => {
    running = reload()
      .catch((err: unknown) => {
        process.stderr.write(`reload failed: ${String(err)}\n`);
      })
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          run();
        }
      });
  };
  process.on('SIGHUP', () => {
    if (running !== null) again = true;
    else run();
  });
}
