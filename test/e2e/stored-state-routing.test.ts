// What the stored-state routing does at the edges: the control (switched off, a
// conversation over seven regions breaks as it does behind a router that ignores
// stored state), the deployment of requests that name none, the Azure client's paths,
// and a pinned request that never spills onto another region.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AzureOpenAI } from 'openai';
import { type FleetSetup, startFleetAndRouter } from '../helpers/fleet-harness.js';

const REGIONS = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7'];

function fleetOf(extra: Record<string, unknown>): Promise<FleetSetup> {
  return startFleetAndRouter({
    regions: REGIONS.map((region) => ({ region, capacity: 50 })),
    zones: { all: REGIONS },
    deployments: [{ name: 'chat', model: 'm', type: 'global' }],
    extra: { log: { level: 'silent' }, ...extra },
  });
}

/** What the tests read of an answer: an object's id, or an error. */
interface Answer {
  readonly id?: string;
  readonly error?: { readonly code: string; readonly type: string; readonly message: string };
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, region: res.headers.get('x-switchyard-region'), body: (await res.json()) as Answer };
}

/** Runs a conversation of `turns` turns; returns the status of each. */
async function conversation(url: string, turns: number): Promise<number[]> {
  const statuses: number[] = [];
  let previous: string | null = null;
  for (let turn = 1; turn <= turns; turn++) {
    const r = await post(`${url}/v1/responses`, {
      model: 'chat',
      input: `turn ${turn}`,
      max_output_tokens: 1,
      ...(previous === null ? {} : { previous_response_id: previous }),
    });
    statuses.push(r.status);
    if (r.status === 200) previous = r.body.id ?? null;
  }
  return statuses;
}

describe('control: with affinity off, a conversation spread over seven regions breaks', () => {
  let setup: FleetSetup;
  before(async () => {
    setup = await fleetOf({ affinity: { enabled: false }, routing: { policy: 'round-robin' } });
  });
  after(() => setup.close());

  test('follow-ups land in regions that do not hold the previous response', async () => {
    const statuses = await conversation(setup.router.url, 10);
    assert.ok(statuses.includes(404), `some turn answered 404 (got ${statuses.join(' ')})`);
  });
});

describe('stored-state routing at the edges', () => {
  let setup: FleetSetup;
  before(async () => {
    setup = await fleetOf({ routing: { policy: 'round-robin' } });
  });
  after(() => setup.close());

  test('the same conversation with affinity on: every turn answered, round robin or not', async () => {
    assert.deepEqual(await conversation(setup.router.url, 10), Array(10).fill(200));
  });

  test('a call that names no deployment needs the header, which is not forwarded', async () => {
    const url = `${setup.router.url}/v1/conversations`;
    const missing = await post(url, {});
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error?.code, 'MissingDeployment');
    assert.match(missing.body.error?.message ?? '', /x-switchyard-deployment/);
    const made = await post(url, {}, { 'x-switchyard-deployment': 'chat' });
    assert.equal(made.status, 200);
    const seen = setup.fleet.region(made.region as string).lastRequest();
    assert.equal(seen?.headers['x-switchyard-deployment'], undefined);
    const unknown = await post(url, {}, { 'x-switchyard-deployment': 'nope' });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error?.code, 'DeploymentNotFound');
  });

  test('a multipart upload on a path that names no deployment passes unscanned', async () => {
    const form = new FormData();
    form.append('purpose', 'batch');
    form.append('file', new Blob(['not json at all {']), 'in.jsonl');
    const res = await fetch(`${setup.router.url}/v1/files`, {
      method: 'POST',
      headers: { 'x-switchyard-deployment': 'chat' },
      body: form,
    });
    assert.equal(res.status, 200);
    const file = (await res.json()) as { id: string; bytes: number };
    assert.equal(file.bytes, 'not json at all {'.length);
    const content = await fetch(`${setup.router.url}/v1/files/${file.id}/content`);
    assert.equal(await content.text(), 'not json at all {');
  });

  test('the AzureOpenAI client: follow-up and retrieve on /openai/responses?api-version=', async () => {
    const azure = new AzureOpenAI({
      endpoint: setup.router.url,
      apiKey: 'azure-test-key',
      apiVersion: '2025-04-01-preview',
      maxRetries: 0,
    });
    const first = await azure.responses.create({ model: 'chat', input: 'hi', max_output_tokens: 1 }).withResponse();
    const home = first.response.headers.get('x-switchyard-region');
    for (let i = 0; i < 4; i++) {
      const next = await azure.responses
        .create({ model: 'chat', input: 'more', previous_response_id: first.data.id, max_output_tokens: 1 })
        .withResponse();
      assert.equal(next.response.headers.get('x-switchyard-region'), home);
    }
    const last = setup.fleet.region(home as string).lastRequest();
    assert.match(last?.url ?? '', /^\/openai\/responses\?api-version=2025-04-01-preview$/);
    assert.equal((await azure.responses.retrieve(first.data.id)).id, first.data.id);
  });

  test('encrypted reasoning the router never saw: regions tried in turn until its home accepts it', async () => {
    // Made on a region directly, so the router has not learned it.
    const home = 'r5';
    const made = await post(`${setup.fleet.region(home).url}/v1/responses`, {
      model: 'chat',
      input: 'think',
      include: ['reasoning.encrypted_content'],
      store: false,
    });
    const item = (made.body as { output: Array<{ type: string; id: string }> }).output.find(
      (o) => o.type === 'reasoning',
    );
    assert.ok(item !== undefined);
    const replay = { model: 'chat', input: [item, { role: 'user', content: 'go on' }], max_output_tokens: 1 };
    const first = await post(`${setup.router.url}/v1/responses`, replay);
    assert.equal(first.status, 200);
    assert.equal(first.region, home);
    const metrics = await setup.router.metrics();
    assert.match(metrics, /switchyard_affinity_requests_total\{deployment="chat",outcome="tried"\} 1\n/);
    // The region that accepted it is remembered for the item: the next replay goes straight there.
    const tried =
      /switchyard_retries_total\{deployment="chat",reason="sealed-elsewhere"\} (\d+)/.exec(metrics)?.[1] ?? '0';
    const again = await post(`${setup.router.url}/v1/responses`, replay);
    assert.equal(again.region, home);
    const after = await setup.router.metrics();
    assert.match(after, /switchyard_affinity_requests_total\{deployment="chat",outcome="cached"\} [1-9]/);
    assert.equal(/reason="sealed-elsewhere"\} (\d+)/.exec(after)?.[1] ?? '0', tried, 'no region tried in vain');
  });

  test('a pinned request whose home is down is refused, and no other region sees it', async () => {
    const first = await post(`${setup.router.url}/v1/responses`, { model: 'chat', input: 'a', max_output_tokens: 1 });
    const home = first.region as string;
    const others = REGIONS.filter((r) => r !== home);
    const receivedElsewhere = (): number => others.reduce((n, r) => n + setup.fleet.region(r).stats.received, 0);
    await setup.fleet.region(home).stop();
    try {
      const before = receivedElsewhere();
      const r = await post(`${setup.router.url}/v1/responses`, {
        model: 'chat',
        input: 'b',
        previous_response_id: first.body.id,
        max_output_tokens: 1,
      });
      assert.equal(r.status, 503);
      assert.equal(r.body.error?.code, 'HomeRegionUnavailable');
      assert.equal(r.body.error?.type, 'server_error');
      assert.match(r.body.error?.message ?? '', new RegExp(`region ${home}`));
      assert.equal(receivedElsewhere(), before, 'never sent to another region');
    } finally {
      await setup.fleet.region(home).start();
    }
  });
});

describe('a request that names no deployment, with affinity.defaultDeployment', () => {
  let setup: FleetSetup;
  before(async () => {
    setup = await fleetOf({ affinity: { defaultDeployment: 'chat' } });
  });
  after(() => setup.close());

  test('a conversation is created without the header; a JSON body without model goes there too', async () => {
    const made = await post(`${setup.router.url}/v1/conversations`, { metadata: { a: '1' } });
    assert.equal(made.status, 200);
    assert.match(made.body.id ?? '', /^conv_/);
    // Forwarded as it is to a region of the default deployment (the simulator, like the
    // service, then wants a model in the body): not the router's MissingDeployment.
    const noModel = await post(`${setup.router.url}/v1/chat/completions`, { messages: [] });
    assert.ok(noModel.region !== null, 'a region answered');
    assert.notEqual(noModel.body.error?.code, 'MissingDeployment');
  });

  test('a multipart upload to any API goes by the usual routing, unscanned', async () => {
    const form = new FormData();
    form.append('file', new Blob(['RIFF....']), 'a.wav');
    const res = await fetch(`${setup.router.url}/v1/audio/transcriptions`, { method: 'POST', body: form });
    const region = res.headers.get('x-switchyard-region');
    assert.ok(region !== null, 'forwarded to a region (the simulator has no audio API: its 404)');
    assert.equal(res.status, 404);
  });
});
