// The /capacity document as the terminal tools read it: every field optional, because
// they may talk to a router of another version. What is missing shows as "-"; what is
// unknown is left to --json.

export interface CapacityRegionView {
  readonly region?: string;
  readonly share?: number;
  readonly fresh?: boolean;
  readonly ageMs?: number | null;
  readonly capacity?: number | null;
  readonly inUse?: number | null;
  readonly headroom?: number | null;
  readonly room?: number | null;
  readonly estimate?: unknown;
  readonly state?: string;
  readonly stateReason?: string | null;
  readonly stateUntil?: string | null;
  readonly weightFactor?: number;
}

export interface CapacityDeploymentView {
  readonly name?: string;
  readonly model?: string;
  readonly type?: string;
  readonly boundary?: readonly string[];
  readonly mode?: string;
  readonly reason?: string;
  readonly coverage?: number;
  readonly rejection?: { readonly status?: number; readonly code?: string; readonly retryAfterS?: number } | null;
  readonly regions?: readonly CapacityRegionView[];
}

export interface CapacityDocView {
  readonly generatedAt?: string;
  readonly telemetry?: {
    readonly status?: string;
    readonly ageMs?: number | null;
    readonly lastError?: string | null;
    readonly polls?: number;
    readonly failures?: number;
  };
  readonly deployments?: readonly CapacityDeploymentView[];
}

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
