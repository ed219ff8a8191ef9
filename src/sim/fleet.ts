// Composition root of the simulated fleet: one server per region plus one server for
// telemetry and control, all on 127.0.0.1 and free ports.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { SimBackend } from './backend.js';
import { CONTROL_PREFIX, handleControl, type ControlledFleet } from './control.js';
import { closeNow, listenLocal, SIM_HOST } from './listen.js';
import { resolveFleetOptions } from './options.js';
import { sendError, sendJson } from './replies.js';
import { TelemetryService } from './telemetry-service.js';
import type { SimFleet, SimFleetOptions, SimRegion } from './types.js';

export async function startSimFleet(opts: SimFleetOptions): Promise<SimFleet> {
  const resolved = resolveFleetOptions(opts);
  const backends = resolved.regions.map((r) => new SimBackend(r, resolved));
  const telemetry = new TelemetryService(backends, resolved.models, resolved.now);
  // Control needs the fleet, which exists only once every port is known.
  let fleet: Fleet | null = null;
  const server = createServer((req, res) => serviceRequest(telemetry, fleet, req, res));
  const closeAll = async (): Promise<void> => {
    await Promise.all([...backends.map((b) => b.shutdown()), closeNow(server)]);
  };

  let port: number;
  try {
    [port] = await Promise.all([listenLocal(server, 0), ...backends.map((b) => b.start())]);
  } catch (err) {
    await closeAll();
    throw err;
  }
  fleet = new Fleet(backends, telemetry, resolved.models, `http://${SIM_HOST}:${port}`, closeAll);
  return fleet;
}

class Fleet implements SimFleet, ControlledFleet {
  readonly backends: ReadonlyArray<{ region: string; url: string }>;
  readonly telemetryUrl: string;
  readonly controlUrl: string;
  private readonly byName: ReadonlyMap<string, SimRegion>;
  private closing: Promise<void> | null = null;

  constructor(
    readonly regions: ReadonlyArray<SimRegion>,
    readonly telemetry: TelemetryService,
    readonly models: readonly string[],
    origin: string,
    private readonly closeAll: () => Promise<void>,
  ) {
    this.backends = Object.freeze(regions.map((r) => Object.freeze({ region: r.name, url: r.url })));
    this.telemetryUrl = `${origin}/telemetry`;
    this.controlUrl = `${origin}${CONTROL_PREFIX}`;
    this.byName = new Map(regions.map((r) => [r.name, r]));
  }

  region(name: string): SimRegion {
    const region = this.byName.get(name);
    if (region === undefined) {
      throw new RangeError(`unknown region ${JSON.stringify(name)} (known: ${[...this.byName.keys()].join(', ')})`);
    }
    return region;
  }

  close(): Promise<void> {
    this.closing ??= this.closeAll();
    return this.closing;
  }
}

function serviceRequest(
  telemetry: TelemetryService,
  control: ControlledFleet | null,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (path === '/telemetry') return telemetry.handle(req, res);
  if (control !== null && (path === CONTROL_PREFIX || path.startsWith(`${CONTROL_PREFIX}/`))) {
    void handleControl(control, req, res, path, new URLSearchParams(q === -1 ? '' : url.slice(q + 1)));
    return;
  }
  if (path === '/healthz') return sendJson(res, 200, '{"status":"ok"}', null);
  sendError(res, 404, 'not_found', `no route for ${req.method ?? '?'} ${path}`);
}
