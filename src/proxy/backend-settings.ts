// What a backend asks of every request sent to it: its own headers (an Azure OpenAI
// resource's api-key, which replaces whatever the client sent under that name) and its
// own name for a deployment (in the Azure path, or in an OpenAI-style body's "model").
//
// Everything is prepared once per backend when the config is loaded: the header pairs,
// the names they replace, the renames as bytes. A backend without settings has none
// (null), and the data plane then does nothing per request.
import type { BackendConfig } from '../config/types.js';

const AZURE_PREFIX_LENGTH = '/openai/deployments/'.length;

/** The request as one backend receives it. */
export interface BackendRequest {
  readonly path: string;
  readonly headers: string[];
  readonly body: Buffer | null;
}

interface Rename {
  readonly name: string;
  readonly bytes: Buffer;
}

export class BackendSettings {
  /** The backend's header pairs, flat [name, value, ...], names lower-case. */
  private readonly headers: readonly string[];
  /** Lower-case names a client may not send to this backend (the backend sets them). */
  private readonly replaced: ReadonlySet<string>;
  /** Lengths of those names: most client headers are passed over without lower-casing them. */
  private readonly replacedLengths: ReadonlySet<number>;
  private readonly renames: ReadonlyMap<string, Rename>;

  private constructor(config: BackendConfig) {
    const names = Object.keys(config.headers);
    this.headers = names.flatMap((name) => [name, config.headers[name] as string]);
    this.replaced = new Set(names);
    this.replacedLengths = new Set(names.map((n) => n.length));
    this.renames = new Map(
      Object.entries(config.deploymentNames)
        .filter(([deployment, name]) => deployment !== name)
        .map(([deployment, name]) => [deployment, { name, bytes: Buffer.from(name, 'utf8') }]),
    );
  }

  /** The settings of a backend, or null when it has none (its requests go as they are). */
  static of(config: BackendConfig): BackendSettings | null {
    const settings = new BackendSettings(config);
    return settings.headers.length === 0 && settings.renames.size === 0 ? null : settings;
  }

  /**
   * The request for this backend. path: the normalised target; headers: the upstream
   * headers (content-length last when there is a body); modelStart/modelEnd: the byte
   * range of the body's "model" value (between its quotes) when the body named the
   * deployment, -1 when the Azure path did.
   */
  apply(
    deployment: string,
    path: string,
    headers: readonly string[],
    body: Buffer | null,
    modelStart: number,
    modelEnd: number,
  ): BackendRequest {
    const rename = this.renames.get(deployment);
    let outPath = path;
    let outBody = body;
    if (rename !== undefined) {
      if (modelStart < 0) outPath = renameInPath(path, rename.name);
      else if (body !== null) {
        // The value's bytes go whatever escapes they held: the new name needs none.
        outBody = Buffer.concat([body.subarray(0, modelStart), rename.bytes, body.subarray(modelEnd)]);
      }
    }
    return {
      path: outPath,
      headers: this.headersFor(headers, outBody === body ? -1 : (outBody as Buffer).length),
      body: outBody,
    };
  }

  /** The client's headers less those the backend sets, then the backend's; a new content-length when >= 0. */
  private headersFor(headers: readonly string[], contentLength: number): string[] {
    const out: string[] = [];
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i] as string;
      if (this.replacedLengths.has(name.length) && this.replaced.has(name.toLowerCase())) continue;
      // upstreamRequestHeaders writes content-length itself, lower-case.
      if (contentLength >= 0 && name === 'content-length') {
        out.push(name, String(contentLength));
        continue;
      }
      out.push(name, headers[i + 1] as string);
    }
    for (const h of this.headers) out.push(h);
    return out;
  }
}

/** /openai/deployments/{name}/... with {name} replaced (the prefix matched in any case). */
function renameInPath(path: string, name: string): string {
  let end = AZURE_PREFIX_LENGTH;
  while (end < path.length) {
    const c = path.charCodeAt(end);
    if (c === 47 /* / */ || c === 63 /* ? */) break;
    end++;
  }
  return path.slice(0, AZURE_PREFIX_LENGTH) + name + path.slice(end);
}
