// Stored state through the router with the official openai package, as an agent or
// chat app uses it: three router processes (no state shared between them) in front of
// a 7-region simulated fleet whose regions keep what they made and refuse each other's
// ids, as the real service does. Each turn of a conversation goes through another
// router; every request that refers to a stored response, conversation, file, batch or
// encrypted reasoning item must reach the region that holds it.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI, { APIError, NotFoundError, toFile } from 'openai';
import { startSimFleet, type SimFleet } from '../../src/sim/index.js';
import { jsonLinesOf, spawnCli } from '../helpers/cli.js';
import { baseConfig } from '../helpers/router-harness.js';
import { waitFor } from '../helpers/wait.js';

/** A router process (`switchyard start`) and its listeners. */
interface RouterProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly adminUrl: string;
}

async function startRouterProcess(configFile: string): Promise<RouterProcess> {
  const child = spawnCli(['start', '--config', configFile]);
  const lines = jsonLinesOf(child);
  const port = (listener: string) => () =>
    lines.find((l) => l.msg === 'listening' && l.listener === listener)?.port as number | undefined;
  try {
    const data = await waitFor('the data listener', port('data'), 20_000);
    const admin = await waitFor('the admin listener', port('admin'), 20_000);
    return { child, url: `http://127.0.0.1:${data}`, adminUrl: `http://127.0.0.1:${admin}` };
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('close', resolve));
  child.kill('SIGTERM');
  await exited;
}

const US = ['eastus', 'eastus2', 'westus'];
const EU = ['swedencentral', 'francecentral', 'norwayeast', 'westeurope'];

describe('stored state across three routers and seven regions, with the openai package', () => {
  let fleet: SimFleet;
  let dir: string;
  const routers: RouterProcess[] = [];
  const clients: OpenAI[] = [];
  /** The client of router i (turns rotate over them). */
  const via = (i: number): OpenAI => clients[i % clients.length] as OpenAI;

  before(async () => {
    fleet = await startSimFleet({
      regions: [...US, ...EU].map((region) => ({ region, capacity: 50 })),
      models: ['gpt-5.2'],
    });
    dir = mkdtempSync(join(tmpdir(), 'switchyard-stored-'));
    const file = join(dir, 'router.json');
    writeFileSync(
      file,
      JSON.stringify(
        baseConfig({
          // warn: the "listening" lines (written at any level but silent) and nothing else.
          log: { level: 'warn' },
          zones: { us: US, eu: EU },
          backends: fleet.backends.map((b) => ({ region: b.region, url: b.url })),
          deployments: [
            { name: 'chat-global', model: 'gpt-5.2', type: 'global' },
            { name: 'chat-eu', model: 'gpt-5.2', type: 'datazone', zone: 'eu' },
          ],
          telemetry: { url: fleet.telemetryUrl, intervalMs: 100, staleAfterMs: 1000, timeoutMs: 500 },
          // A killed region comes back within the test's deadline.
          outlier: { baseEjectionMs: 300, maxEjectionMs: 300 },
          shutdown: { drainMs: 1000 },
        }),
      ),
    );
    // Three processes from one file: the same config, nothing else in common.
    routers.push(...(await Promise.all([0, 1, 2].map(() => startRouterProcess(file)))));
    for (const router of routers) {
      clients.push(
        new OpenAI({
          baseURL: `${router.url}/v1`,
          apiKey: 'sk-test',
          maxRetries: 0,
          // For calls that name no model: file uploads, conversations, batches.
          defaultHeaders: { 'x-switchyard-deployment': 'chat-global' },
        }),
      );
    }
  });
  after(async () => {
    await Promise.all(routers.map((r) => stopProcess(r.child)));
    await fleet.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a 10-turn conversation by previous_response_id, each turn through another router, one streamed', async () => {
    const first = await via(0)
      .responses.create({ model: 'chat-global', input: 'turn 1', max_output_tokens: 2 })
      .withResponse();
    const home = first.response.headers.get('x-switchyard-region');
    assert.ok(home !== null);
    let previous = first.data.id;
    for (let turn = 2; turn <= 10; turn++) {
      const client = via(turn - 1);
      if (turn === 6) {
        const { data: stream, response } = await client.responses
          .create({
            model: 'chat-global',
            input: `turn ${turn}`,
            previous_response_id: previous,
            max_output_tokens: 3,
            stream: true,
          })
          .withResponse();
        assert.equal(response.headers.get('x-switchyard-region'), home, 'the streamed turn goes home');
        let completed: OpenAI.Responses.Response | null = null;
        for await (const event of stream) if (event.type === 'response.completed') completed = event.response;
        assert.ok(completed !== null, 'the streamed turn completes');
        assert.equal(completed.previous_response_id, previous);
        previous = completed.id;
        continue;
      }
      const { data, response } = await client.responses
        .create({ model: 'chat-global', input: `turn ${turn}`, previous_response_id: previous, max_output_tokens: 2 })
        .withResponse();
      assert.equal(response.headers.get('x-switchyard-region'), home, `turn ${turn} goes home`);
      assert.equal(data.previous_response_id, previous);
      previous = data.id;
    }
    // The last turn, retrieved through the router that made neither it nor its predecessor.
    const retrieved = await via(2).responses.retrieve(previous).withResponse();
    assert.equal(retrieved.data.id, previous);
    assert.equal(retrieved.response.headers.get('x-switchyard-region'), home);
  });

  test('retrieve, input items and delete through routers that did not make the response', async () => {
    const made = await via(0).responses.create({ model: 'chat-global', input: 'remember me', max_output_tokens: 2 });
    const retrieved = await via(1).responses.retrieve(made.id);
    assert.equal(retrieved.id, made.id);
    const items = [];
    for await (const item of via(2).responses.inputItems.list(made.id)) items.push(item);
    assert.equal(items.length, 1);
    assert.deepEqual((items[0] as { content: unknown }).content, [{ type: 'input_text', text: 'remember me' }]);
    await via(1).responses.delete(made.id);
    await assert.rejects(via(2).responses.retrieve(made.id), NotFoundError, 'deleted at home: the home says 404');
  });

  test('an id no region holds: 404 in OpenAI error shape', async () => {
    const err = await via(0)
      .responses.retrieve('resp_0123456789abcdef0123456789abcdef0123456789abcdef')
      .then(
        () => null,
        (e: unknown) => e,
      );
    assert.ok(err instanceof NotFoundError);
    assert.equal((err.error as { type?: string }).type, 'invalid_request_error');
    assert.equal(err.code, 'StoredObjectNotFound');
  });

  test('a conversation object: created through one router, used and read through the others', async () => {
    const conversation = await via(0).conversations.create({ metadata: { topic: 'routing' } });
    const answer = await via(1).responses.create({
      model: 'chat-global',
      conversation: conversation.id,
      input: 'hello',
      max_output_tokens: 2,
    });
    assert.equal(answer.status, 'completed');
    const items = [];
    for await (const item of via(2).conversations.items.list(conversation.id)) items.push(item);
    assert.equal(items.length, 2, 'the input and the answer joined the conversation');
    const read = await via(2).conversations.retrieve(conversation.id);
    assert.deepEqual(read.metadata, { topic: 'routing' });
    await via(1).conversations.delete(conversation.id);
  });

  test('a file uploaded through one router, used by a batch through another', async () => {
    const upload = await via(0)
      .files.create({ file: await toFile(Buffer.from('{"custom_id":"1"}\n'), 'in.jsonl'), purpose: 'batch' })
      .withResponse();
    const fileHome = upload.response.headers.get('x-switchyard-region');
    const file = upload.data;
    const batch = await via(1)
      .batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' })
      .withResponse();
    assert.equal(batch.response.headers.get('x-switchyard-region'), fileHome, 'the batch is made where its file is');
    const retrieved = await via(2).batches.retrieve(batch.data.id);
    assert.equal(retrieved.input_file_id, file.id);
    const cancelled = await via(0).batches.cancel(batch.data.id);
    assert.equal(cancelled.status, 'cancelling');
    const content = await (await via(2).files.content(file.id)).text();
    assert.equal(content, '{"custom_id":"1"}\n');
    const deleted = await via(1).files.delete(file.id);
    assert.equal(deleted.deleted, true);
  });

  test('encrypted reasoning replayed without previous_response_id reaches its region', async () => {
    const made = await via(0)
      .responses.create({
        model: 'chat-global',
        input: 'think',
        include: ['reasoning.encrypted_content'],
        store: false,
        max_output_tokens: 2,
      })
      .withResponse();
    const home = made.response.headers.get('x-switchyard-region');
    const reasoning = made.data.output.find((o) => o.type === 'reasoning');
    assert.ok(reasoning !== undefined);
    // Router 1 has never seen it: it tries the regions in turn; router 0 knows it.
    for (const i of [1, 0, 1]) {
      const next = await via(i)
        .responses.create({
          model: 'chat-global',
          input: [reasoning, { role: 'user', content: 'go on' }],
          max_output_tokens: 2,
        })
        .withResponse();
      assert.equal(next.response.headers.get('x-switchyard-region'), home, `through router ${i}`);
    }
  });

  test('a home outside the boundary of the deployment named: 400', async () => {
    // A response made in a US region (3 of the 7), then followed up with the EU deployment.
    const made = await waitFor('a response made in a US region', async () => {
      const r = await via(0)
        .responses.create({ model: 'chat-global', input: 'x', max_output_tokens: 1 })
        .withResponse();
      return US.includes(r.response.headers.get('x-switchyard-region') as string) ? r : null;
    });
    const home = made.response.headers.get('x-switchyard-region') as string;
    const err = await via(0)
      .responses.create({ model: 'chat-eu', input: 'y', previous_response_id: made.data.id, max_output_tokens: 1 })
      .then(
        () => null,
        (e: unknown) => e,
      );
    assert.ok(err instanceof APIError);
    assert.equal(err.status, 400);
    assert.equal(err.code, 'HomeOutsideBoundary');
    assert.match(err.message, new RegExp(`region ${home}, outside the boundary of deployment chat-eu`));
  });

  test('the home region killed mid-conversation: 503 HomeRegionUnavailable naming it, then recovery', async () => {
    const first = await via(0)
      .responses.create({ model: 'chat-global', input: 'a', max_output_tokens: 1 })
      .withResponse();
    const home = first.response.headers.get('x-switchyard-region') as string;
    const second = await via(1).responses.create({
      model: 'chat-global',
      input: 'b',
      previous_response_id: first.data.id,
      max_output_tokens: 1,
    });
    await fleet.region(home).stop();
    try {
      for (const i of [0, 1, 2]) {
        const err = await via(i)
          .responses.create({ model: 'chat-global', input: 'c', previous_response_id: second.id, max_output_tokens: 1 })
          .then(
            () => null,
            (e: unknown) => e,
          );
        assert.ok(err instanceof APIError, `router ${i}: an error, not an answer from another region`);
        assert.equal(err.status, 503);
        assert.equal(err.code, 'HomeRegionUnavailable');
        assert.match(err.message, new RegExp(home));
        assert.ok(Number(err.headers?.get('retry-after')) >= 1, 'Retry-After');
      }
    } finally {
      await fleet.region(home).start();
    }
    const resumed = await waitFor('the conversation resumes at home', async () => {
      try {
        return await via(0)
          .responses.create({ model: 'chat-global', input: 'c', previous_response_id: second.id, max_output_tokens: 1 })
          .withResponse();
      } catch {
        return null;
      }
    });
    assert.equal(resumed.response.headers.get('x-switchyard-region'), home);
    assert.equal(resumed.data.previous_response_id, second.id);
  });

  test('metrics and /capacity show the pinned requests and the cache', async () => {
    const admin = (routers[1] as RouterProcess).adminUrl;
    const metrics = await (await fetch(`${admin}/metrics`)).text();
    assert.match(metrics, /switchyard_affinity_requests_total\{deployment="chat-global",outcome="asked"\} [1-9]/);
    assert.match(
      metrics,
      /switchyard_affinity_requests_total\{deployment="chat-global",outcome="home_unavailable"\} [1-9]/,
    );
    assert.match(metrics, /switchyard_affinity_cache_entries [1-9]/);
    const doc = (await (await fetch(`${admin}/capacity`)).json()) as {
      affinity: { enabled: boolean; cacheEntries: number; hits: number; misses: number; hitRate: number | null };
    };
    assert.equal(doc.affinity.enabled, true);
    assert.ok(doc.affinity.cacheEntries > 0);
    assert.ok(doc.affinity.hits > 0 && doc.affinity.misses > 0);
    assert.equal(doc.affinity.hitRate, doc.affinity.hits / (doc.affinity.hits + doc.affinity.misses));
  });
});
