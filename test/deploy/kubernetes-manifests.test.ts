// deploy/kubernetes/ parsed as a cluster would read it, and checked against the code:
// the config in the ConfigMap is one the router accepts, the pod gives switchyard its
// config and secrets, probes, limits and a grace period above its drain, and nothing
// exposes the admin listener outside the pod.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { validateConfig } from '../../src/config/validate.js';
import type { Config } from '../../src/config/types.js';
import { repoRoot } from '../helpers/repo-root.js';

// Only the fields these checks read.
interface Probe {
  exec?: { command: string[] };
  httpGet?: { path: string; port: number | string; host?: string };
}
interface Container {
  name: string;
  restartPolicy?: string;
  args?: string[];
  command?: string[];
  env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string } } }>;
  envFrom?: Array<{ secretRef?: { name: string } }>;
  ports?: Array<{ name?: string; containerPort: number }>;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { runAsUser?: number; runAsNonRoot?: boolean; allowPrivilegeEscalation?: boolean };
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}
interface PodSpec {
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean };
  initContainers?: Container[];
  containers: Container[];
  volumes?: Array<{ name: string; configMap?: { name: string } }>;
}
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  resources?: string[];
  spec?: {
    template?: { spec: PodSpec };
    ports?: Array<{ name?: string; port: number; targetPort?: number | string }>;
  };
}

const DIR = join(repoRoot(), 'deploy/kubernetes');
const FILES = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f));

function load(): Array<Manifest & { file: string }> {
  return FILES.flatMap((file) =>
    parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((doc) => {
      assert.deepEqual(doc.errors, [], `${file} parses`);
      return { ...(doc.toJS() as Manifest), file };
    }),
  );
}

const manifests = load();
const byKind = (kind: string) => manifests.filter((m) => m.kind === kind);

function pod(): PodSpec {
  const workloads = manifests.filter((m) => m.spec?.template?.spec !== undefined);
  assert.equal(workloads.length, 1, 'one workload with a pod template');
  return workloads[0]!.spec!.template!.spec;
}

/** The sidecar: a regular container, or a native sidecar (init container that restarts always). */
function switchyard(): Container {
  const p = pod();
  const found = [...p.containers, ...(p.initContainers ?? []).filter((c) => c.restartPolicy === 'Always')].filter(
    (c) => c.name === 'switchyard',
  );
  assert.equal(found.length, 1, 'one switchyard container running for the life of the pod');
  return found[0]!;
}

function routerConfig(): Config {
  const c = switchyard();
  const configPath = c.env?.find((e) => e.name === 'SWITCHYARD_CONFIG')?.value ?? '/etc/switchyard/config.yaml';
  const mount = c.volumeMounts?.find((m) => configPath.startsWith(`${m.mountPath}/`));
  assert.ok(mount !== undefined, `a volume is mounted where the config is read (${configPath})`);
  const volume = pod().volumes?.find((v) => v.name === mount.name);
  const mapName = volume?.configMap?.name;
  assert.ok(mapName !== undefined, 'the config volume is a ConfigMap');
  const map = byKind('ConfigMap').find((m) => m.metadata.name === mapName);
  assert.ok(map !== undefined, `ConfigMap ${mapName} is among the manifests`);
  const key = configPath.slice(mount.mountPath.length + 1);
  const text = map.data?.[key];
  assert.ok(text !== undefined, `ConfigMap ${mapName} has the key ${key}`);
  const [doc] = parseAllDocuments(text);
  const checked = validateConfig(doc!.toJS());
  assert.ok(checked.ok, `the ConfigMap's config is valid:\n${checked.ok ? '' : checked.errors.join('\n')}`);
  return checked.config;
}

const isLoopback = (host: string): boolean => ['127.0.0.1', '::1', 'localhost'].includes(host);

test('every manifest parses and names its kind; the kustomization lists every file', () => {
  assert.ok(FILES.length >= 4);
  for (const m of manifests) {
    assert.ok(m.apiVersion && m.kind, `${m.file}: apiVersion and kind`);
    if (m.kind !== 'Kustomization') assert.ok(m.metadata?.name, `${m.file}: metadata.name`);
  }
  const [kustomization] = byKind('Kustomization');
  assert.ok(kustomization !== undefined);
  assert.deepEqual([...(kustomization.resources ?? [])].sort(), FILES.filter((f) => f !== 'kustomization.yaml').sort());
});

test('switchyard runs next to an application container, with its config from a ConfigMap the router accepts', () => {
  const p = pod();
  assert.ok(
    p.containers.some((c) => c.name !== 'switchyard'),
    'an application container',
  );
  const config = routerConfig();
  const app = p.containers.find((c) => c.name !== 'switchyard')!;
  const dataUrls = (app.env ?? []).map((e) => e.value ?? '').filter((v) => v.includes(`:${config.listen.port}`));
  assert.ok(dataUrls.length > 0, 'the application is pointed at the data plane');
  for (const url of dataUrls) assert.match(url, new RegExp(`^http://127\\.0\\.0\\.1:${config.listen.port}(/|$)`));
});

test('secrets reach switchyard as environment variables from a Secret, never inline', () => {
  const c = switchyard();
  const fromSecrets = [
    ...(c.envFrom ?? []).map((e) => e.secretRef?.name),
    ...(c.env ?? []).map((e) => e.valueFrom?.secretKeyRef?.name),
  ].filter((n): n is string => n !== undefined);
  assert.ok(fromSecrets.length > 0, 'env from a Secret');
  const secrets = new Set(byKind('Secret').map((s) => s.metadata.name));
  for (const name of fromSecrets) assert.ok(secrets.has(name), `Secret ${name} is among the manifests`);
  for (const e of c.env ?? []) assert.doesNotMatch(e.name, /KEY|TOKEN|SECRET|PASSWORD/i, `${e.name} set inline`);
});

test('readiness asks /readyz and liveness /healthz on the configured admin listener', () => {
  const c = switchyard();
  const config = routerConfig();
  const check = (probe: Probe | undefined, path: '/readyz' | '/healthz'): void => {
    assert.ok(probe !== undefined, `a probe for ${path}`);
    if (probe.httpGet !== undefined) {
      assert.equal(probe.httpGet.path, path);
      assert.equal(Number(probe.httpGet.port), config.admin.port);
      return;
    }
    // `switchyard health` asks /healthz, and /readyz with --ready, at the admin
    // address of the mounted config.
    const command = probe.exec?.command ?? [];
    assert.ok(command.includes('health'), `exec probe runs switchyard health: ${command.join(' ')}`);
    assert.equal(command.includes('--ready'), path === '/readyz');
    assert.ok(!command.some((a) => a.includes('--admin')), 'the admin address comes from the config');
  };
  check(c.readinessProbe, '/readyz');
  check(c.livenessProbe, '/healthz');
});

test('the grace period outlasts the drain, and the sidecar has resource limits and runs as non-root', () => {
  const p = pod();
  const config = routerConfig();
  const grace = p.terminationGracePeriodSeconds;
  assert.ok(grace !== undefined, 'terminationGracePeriodSeconds is set');
  assert.ok(
    grace * 1000 >= config.shutdown.drainMs + 5000,
    `grace ${grace} s must exceed shutdown.drainMs ${config.shutdown.drainMs} ms (by 5 s)`,
  );
  const c = switchyard();
  assert.ok(c.resources?.limits?.memory, 'memory limit');
  assert.ok(c.resources?.limits?.cpu, 'cpu limit');
  assert.ok(c.resources?.requests?.memory && c.resources.requests.cpu, 'requests');
  assert.ok(p.securityContext?.runAsNonRoot === true || c.securityContext?.runAsNonRoot === true, 'runAsNonRoot');
  assert.equal(c.securityContext?.allowPrivilegeEscalation, false);
});

test('the admin listener is not exposed outside the pod', () => {
  const config = routerConfig();
  assert.ok(isLoopback(config.admin.host), `admin.host ${config.admin.host} binds the pod's loopback only`);
  const p = pod();
  const adminPort = config.admin.port;
  for (const c of [...p.containers, ...(p.initContainers ?? [])]) {
    for (const port of c.ports ?? []) {
      assert.notEqual(port.containerPort, adminPort, `${c.name} declares the admin port`);
      assert.notEqual(port.name, 'admin');
    }
  }
  for (const s of byKind('Service')) {
    for (const port of s.spec?.ports ?? []) {
      assert.ok(![adminPort, 'admin'].includes(port.targetPort ?? port.port), `Service ${s.metadata.name}`);
    }
  }
});
