// Other tenants' load on a region. A constant by default; with a period it follows a
// sine wave so the demo's capacity table moves. The phase comes from the region name
// (not its position) so adding a region does not shift the others.

export type LoadFn = () => number;

export function backgroundLoad(base: number, periodMs: number | null, region: string, now: () => number): LoadFn {
  if (base === 0) return zero;
  if (periodMs === null) return () => base;
  const omega = (2 * Math.PI) / periodMs;
  const phase = regionPhase(region);
  return () => base * (1 + 0.5 * Math.sin(omega * now() + phase));
}

function zero(): number {
  return 0;
}

/**
 * FNV-1a of the name, then murmur3's finaliser (FNV alone leaves names that differ in
 * one letter with nearly the same high bits), mapped onto [0, 2*pi).
 */
export function regionPhase(region: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < region.length; i++) {
    h ^= region.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return ((h >>> 0) / 0x1_0000_0000) * 2 * Math.PI;
}
