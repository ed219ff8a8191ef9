// The /capacity document as the terminal tools read it: every field optional, because
// they may talk to a router of another version. What is missing shows as "-"; what is
// unknown is left to --json.
import type { CapacityDeployment, CapacityDocument, CapacityRegion, DeepPartial } from '../admin/capacity-document.js';

export type CapacityDocView = DeepPartial<CapacityDocument>;
export type CapacityDeploymentView = DeepPartial<CapacityDeployment>;
export type CapacityRegionView = DeepPartial<CapacityRegion>;

/** Accepts anything that looks like a /capacity answer; null for anything else. */
export function asCapacityDoc(body: unknown): CapacityDocView | null {
  if (typeof body !== 'object' || body === null) return null;
  const deployments = (body as { deployments?: unknown }).deployments;
  if (!Array.isArray(deployments)) return null;
  return body as CapacityDocView;
}

/** True when any deployment is not in normal mode (conservative, or a mode this version does not know). */
export function anyConservative(doc: CapacityDocView): boolean {
  return (doc.deployments ?? []).some((d) => d.mode !== 'normal');
}
