// The fourth incident: a datacenter lost power and took a region out (its telemetry
// too); it came back in phases, and the work that had waited for it came with it. Here
// eastus2 stops for 6 s, returns at 25%, 50%, then 100% of its capacity (other tenants
// return in step), and the clients of its regional deployment, who held their requests
// while it was out, send them all when it answers again.
import { NO_SLOW_START } from '../policies.js';
import type { Incident } from '../types.js';
import { SDK_CLIENTS } from './clients.js';

export const LOST = 'eastus2';
const CAPACITY = 60;
const PHASES = [
  { atS: 9, fraction: 0.25 },
  { atS: 14, fraction: 0.5 },
  { atS: 19, fraction: 1 },
] as const;
const OUT_AT_S = 3;

function fractionAt(tS: number): number {
  let f = tS < OUT_AT_S ? 1 : 0;
  for (const p of PHASES) if (tS >= p.atS) f = p.fraction;
  return f;
}

export const POWER_LOSS: Incident = {
  name: 'power-loss',
  title: `at 70% load, ${LOST} loses power for 6 s and returns at 25%, 50%, 100% of its capacity (5 s apart), with the requests its regional deployment held`,
  seconds: 26,
  fault: { startS: OUT_AT_S, endS: 19 },
  load: 0.7,
  client: SDK_CLIENTS,
  events: [
    {
      atS: OUT_AT_S,
      label: `${LOST} loses power (connections refused, no telemetry)`,
      control: [`/regions/${LOST}/stop`, `/regions/${LOST}/telemetry/drop`],
    },
    ...PHASES.map((p, i) => ({
      atS: p.atS,
      label: `${LOST} at ${p.fraction * 100}% of its capacity`,
      control: [
        `/regions/${LOST}/capacity/${CAPACITY * p.fraction}`,
        ...(i === 0 ? [`/regions/${LOST}/start`, `/regions/${LOST}/telemetry/restore`] : []),
      ],
    })),
  ],
  background: (region, tS, usual) => (region === LOST ? usual * fractionAt(tS) : usual),
  pentUp: { deployment: 'mini-east', fromS: OUT_AT_S, releaseS: 9, spreadS: 0.5 },
  ablations: [NO_SLOW_START],
};
