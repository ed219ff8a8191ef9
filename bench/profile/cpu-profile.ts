// Summarises a V8 .cpuprofile: self time per function and per source area, so a
// profile can be read in a terminal and quoted in bench/RESULTS.md.
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FrameCost {
  readonly frame: string;
  readonly area: string;
  readonly selfMs: number;
  readonly share: number;
}

function areaOf(url: string, functionName: string): string {
  if (url === '')
    return functionName === '(garbage collector)'
      ? 'gc'
      : functionName === '(idle)'
        ? 'idle'
        : functionName === '(program)'
          ? 'program'
          : 'native';
  if (url.includes('/node_modules/undici/')) return 'undici';
  if (url.includes('/node_modules/prom-client/')) return 'prom-client';
  if (url.includes('/node_modules/pino')) return 'pino';
  if (url.includes('/dist/src/')) return 'switchyard';
  if (url.includes('/dist/bench/peers/')) return 'peer';
  if (url.startsWith('node:')) return 'node';
  return 'other';
}

export async function summarise(
  path: string,
): Promise<{ frames: FrameCost[]; areas: Array<{ area: string; share: number }>; totalMs: number }> {
  const profile = JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const frames = new Map<string, { area: string; us: number }>();
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    const area = areaOf(n.callFrame.url, n.callFrame.functionName);
    if (area === 'idle') continue;
    busyUs += us;
    const file = n.callFrame.url.replace(/^.*\/(node_modules\/|dist\/)/, '');
    const key = `${n.callFrame.functionName || '(anonymous)'} ${file}:${n.callFrame.lineNumber + 1}`;
    const f = frames.get(key) ?? { area, us: 0 };
    f.us += us;
    frames.set(key, f);
  }
  const areas = new Map<string, number>();
  for (const f of frames.values()) areas.set(f.area, (areas.get(f.area) ?? 0) + f.us);
  return {
    totalMs: busyUs / 1000,
    frames: [...frames]
      .map(([frame, f]) => ({ frame, area: f.area, selfMs: f.us / 1000, share: f.us / busyUs }))
      .sort((a, b) => b.selfMs - a.selfMs),
    areas: [...areas].map(([area, us]) => ({ area, share: us / busyUs })).sort((a, b) => b.share - a.share),
  };
}
