// HTTP control endpoints so a demo (or a person with curl) can cause the incidents the
// router is built for: telemetry gaps and outages, region outages, capacity changes,
// and service-side error storms. Every answer is JSON.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError, sendJson } from './replies.js';
import type { SimBehaviour, SimRegion, SimTelemetryControls, TelemetryFailMode } from './types.js';

export const CONTROL_PREFIX = '/control';

export interface ControlledFleet {
  readonly regions: ReadonlyArray<SimRegion>;
  readonly telemetry: SimTelemetryControls;
  readonly models: readonly string[];
  readonly telemetryUrl: string;
}

class ControlError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface Route {
  readonly method: 'GET' | 'POST';
  run(): Promise<object> | object;
}

const TELEMETRY_ACTIONS = ['drop', 'freeze', 'restore'] as const;
const FAIL_MODES: Record<string, TelemetryFailMode | null> = {
  status500: 'status500',
  malformed: 'malformed',
  hang: 'hang',
  off: null,
};

/** Answers any request whose path starts with /control; `path` excludes the query. */
export async function handleControl(
  fleet: ControlledFleet,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
): Promise<void> {
  try {
    const route = resolveRoute(fleet, segmentsOf(path), query);
    if (req.method !== route.method) {
      sendError(res, 405, 'method_not_allowed', `${path} takes ${route.method}`, { allow: route.method });
      return;
    }
    sendJson(res, 200, JSON.stringify(await route.run()), null);
  } catch (err) {
    if (err instanceof ControlError) {
      sendError(res, err.status, err.code, err.message);
    } else {
      sendError(res, 500, 'control_failed', (err as Error).message);
    }
  }
}

function segmentsOf(path: string): string[] {
  const raw = path
    .slice(CONTROL_PREFIX.length)
    .split('/')
    .filter((s) => s !== '');
  try {
    return raw.map((s) => decodeURIComponent(s));
  } catch {
    throw new ControlError(400, 'bad_request', `malformed percent-encoding in ${path}`);
  }
}

function resolveRoute(fleet: ControlledFleet, seg: string[], query: URLSearchParams): Route {
  const [head, second, action, arg, ...rest] = seg;
  if (rest.length > 0) throw notFound(seg);
  if (head === undefined) return { method: 'GET', run: () => fleetSummary(fleet) };

  if (head === 'telemetry' && second === 'fail' && action !== undefined && arg === undefined) {
    if (!Object.hasOwn(FAIL_MODES, action)) {
      throw badRequest(`unknown telemetry fail mode "${action}" (expected status500, malformed, hang or off)`);
    }
    const mode = FAIL_MODES[action] ?? null;
    return {
      method: 'POST',
      run: () => {
        fleet.telemetry.fail(mode);
        return { ok: true, telemetry: telemetrySummary(fleet) };
      },
    };
  }

  if (head !== 'regions' || second === undefined) throw notFound(seg);
  const region = fleet.regions.find((r) => r.name === second);
  if (region === undefined) {
    throw new ControlError(404, 'unknown_region', `unknown region "${second}" (known: ${regionNames(fleet)})`);
  }
  const done = (): object => ({ ok: true, region: regionSummary(fleet, region) });

  if (action === undefined) return { method: 'GET', run: done };
  if ((action === 'stop' || action === 'start') && arg === undefined) {
    return {
      method: 'POST',
      run: async () => {
        await (action === 'stop' ? region.stop() : region.start());
        return done();
      },
    };
  }
  if (action === 'telemetry' && arg !== undefined) {
    const verb = TELEMETRY_ACTIONS.find((a) => a === arg);
    if (verb === undefined) throw badRequest(`unknown telemetry action "${arg}" (expected drop, freeze or restore)`);
    return {
      method: 'POST',
      run: () => {
        fleet.telemetry[verb](region.name);
        return done();
      },
    };
  }
  if (action === 'capacity' && arg !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(arg)) throw badRequest(`capacity must be a number >= 0, got "${arg}"`);
    const n = Number(arg);
    return {
      method: 'POST',
      run: () => {
        region.setCapacity(n);
        return done();
      },
    };
  }
  if (action === 'background' && arg !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(arg)) throw badRequest(`background must be a number >= 0, got "${arg}"`);
    const n = Number(arg);
    return {
      method: 'POST',
      run: () => {
        region.setBackground(n);
        return done();
      },
    };
  }
  if (action === 'fail' && arg !== undefined) {
    const behaviour = failBehaviour(arg, query, region.behaviour().failShares);
    return {
      method: 'POST',
      run: () => {
        try {
          region.setBehaviour(behaviour);
        } catch (err) {
          // e.g. fractions summing over 1: the caller's mistake, not the simulator's.
          throw badRequest((err as Error).message);
        }
        return done();
      },
    };
  }
  throw notFound(seg);
}

/**
 * `fail/{status}?model=m&retryAfter=s` fails every request of the model;
 * `&fraction=f` fails only that fraction with this status (other statuses' fractions
 * stay); `fail/off` restores normal serving.
 */
function failBehaviour(
  arg: string,
  query: URLSearchParams,
  shares: Readonly<Record<number, number>> | null,
): SimBehaviour {
  if (arg === 'off') return { failStatus: null, failModel: null, failShares: null };
  const status = /^\d{3}$/.test(arg) ? Number(arg) : NaN;
  if (!(status >= 400 && status <= 599)) throw badRequest(`fail status must be 400-599 or "off", got "${arg}"`);
  const retryAfter = query.get('retryAfter');
  if (retryAfter !== null && !/^\d+$/.test(retryAfter)) {
    throw badRequest(`retryAfter must be a whole number of seconds, got "${retryAfter}"`);
  }
  const fraction = query.get('fraction');
  if (fraction !== null && !(/^(0(\.\d+)?|1(\.0+)?)$/.test(fraction) && Number(fraction) > 0)) {
    throw badRequest(`fraction must be a number in (0, 1], got "${fraction}"`);
  }
  const common = {
    failModel: query.get('model'),
    ...(retryAfter === null ? {} : { retryAfterSeconds: Number(retryAfter) }),
  };
  if (fraction === null) return { failStatus: status, ...common };
  return { failStatus: null, failShares: { ...shares, [status]: Number(fraction) }, ...common };
}

function fleetSummary(fleet: ControlledFleet): object {
  return {
    models: fleet.models,
    telemetry: telemetrySummary(fleet),
    regions: fleet.regions.map((r) => regionSummary(fleet, r)),
  };
}

function telemetrySummary(fleet: ControlledFleet): object {
  return { url: fleet.telemetryUrl, fail: fleet.telemetry.failMode(), polls: fleet.telemetry.polls() };
}

function regionSummary(fleet: ControlledFleet, r: SimRegion): object {
  return {
    region: r.name,
    url: r.url,
    listening: r.isListening(),
    capacityUnit: r.capacityUnit,
    capacity: r.capacity(),
    inUse: Math.round(r.inUse() * 100) / 100,
    inFlight: r.inFlight(),
    background: Math.round(r.background() * 100) / 100,
    stats: { ...r.stats },
    behaviour: r.behaviour(),
    telemetry: fleet.telemetry.regionMode(r.name),
  };
}

function regionNames(fleet: ControlledFleet): string {
  return fleet.regions.map((r) => r.name).join(', ');
}

function notFound(seg: string[]): ControlError {
  return new ControlError(404, 'not_found', `no control endpoint /control/${seg.join('/')}`);
}

function badRequest(message: string): ControlError {
  return new ControlError(400, 'bad_request', message);
}
