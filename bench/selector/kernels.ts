// Batched pick loops. One function per selector class keeps every call site
// monomorphic (the way the router's hot path sees a single AliasTable class), and a
// batch per timed iteration keeps the timer's resolution out of a few-ns figure.
import type { AliasTable } from '../../src/selector/alias-table.js';
import type { DeploymentRoute, RouteTarget } from '../../src/selector/deployment-route.js';
import type { LinearScan, SmoothWeightedRoundRobin } from './baselines.js';

let cursor = 0;

/** Each kernel returns the sum of picked indexes so no pick can be optimised away. */
export type Kernel<T> = (selector: T, rnd: Float64Array, picks: number) => number;

export const aliasKernel: Kernel<AliasTable> = (t, rnd, picks) => {
  const mask = rnd.length - 1;
  let c = cursor;
  let acc = 0;
  for (let i = 0; i < picks; i++) {
    acc += t.pick(rnd[c] as number);
    c = (c + 1) & mask;
  }
  cursor = c;
  return acc;
};

export const linearKernel: Kernel<LinearScan> = (t, rnd, picks) => {
  const mask = rnd.length - 1;
  let c = cursor;
  let acc = 0;
  for (let i = 0; i < picks; i++) {
    acc += t.pick(rnd[c] as number);
    c = (c + 1) & mask;
  }
  cursor = c;
  return acc;
};

export const swrrKernel: Kernel<SmoothWeightedRoundRobin> = (t, rnd, picks) => {
  const mask = rnd.length - 1;
  let c = cursor;
  let acc = 0;
  for (let i = 0; i < picks; i++) {
    acc += t.pick(rnd[c] as number);
    c = (c + 1) & mask;
  }
  cursor = c;
  return acc;
};

/** The loop alone (read a uniform, add): what every row above also pays. */
export const loopKernel: Kernel<null> = (_none, rnd, picks) => {
  const mask = rnd.length - 1;
  let c = cursor;
  let acc = 0;
  for (let i = 0; i < picks; i++) {
    acc += (rnd[c] as number) * 8;
    c = (c + 1) & mask;
  }
  cursor = c;
  return acc;
};

/** Math.random itself, measured once so the other rows can leave it out. */
export const mathRandomKernel: Kernel<null> = (_none, _rnd, picks) => {
  let acc = 0;
  for (let i = 0; i < picks; i++) acc += Math.random();
  return acc;
};

// The route's pick takes a random source; this one walks the same precomputed uniforms.
let routeRnd: Float64Array = new Float64Array(1);
let routeCursor = 0;
function nextUniform(): number {
  const u = routeRnd[routeCursor] as number;
  routeCursor = (routeCursor + 1) & (routeRnd.length - 1);
  return u;
}

export const routeKernel: Kernel<DeploymentRoute<RouteTarget>> = (route, rnd, picks) => {
  routeRnd = rnd;
  let acc = 0;
  for (let i = 0; i < picks; i++) acc += (route.pick(nextUniform) as RouteTarget).region.length;
  return acc;
};
