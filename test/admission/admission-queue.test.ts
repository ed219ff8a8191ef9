import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AdmissionQueue, type Waiting } from '../../src/admission/admission-queue.js';
import { fuzzRuns, fuzzSeed } from '../helpers/fuzz-seed.js';

class W implements Waiting {
  queued = false;
  heapIndex = -1;
  constructor(
    readonly name: string,
    readonly priority = 0,
    readonly fairnessKey = '',
    readonly deadlineMs = 1_000_000,
    readonly bytes = 1,
    readonly waitingSinceMs = 0,
  ) {}
}

const LIMITS = { maxQueued: 1000, maxQueuedBytes: 1_000_000 };
const names = (q: AdmissionQueue<W>): string[] => q.drain().map((w) => w.name);

test('strict priority between bands, first in first out inside one', () => {
  const q = new AdmissionQueue<W>(LIMITS);
  for (const [name, p] of [
    ['a0', 0],
    ['b5', 5],
    ['c0', 0],
    ['d-1', -1],
    ['e5', 5],
    ['f9', 9],
  ] as const)
    q.offer(new W(name, p));
  assert.deepEqual(names(q), ['f9', 'b5', 'e5', 'a0', 'c0', 'd-1']);
  assert.equal(q.size, 0);
});

test('inside a band, fairness keys take turns; each key keeps its own order', () => {
  const q = new AdmissionQueue<W>(LIMITS);
  // Key A floods the queue first; B and C arrive after it.
  for (let i = 1; i <= 5; i++) q.offer(new W(`A${i}`, 0, 'A'));
  q.offer(new W('B1', 0, 'B'));
  q.offer(new W('C1', 0, 'C'));
  q.offer(new W('B2', 0, 'B'));
  assert.deepEqual(names(q), ['A1', 'B1', 'C1', 'A2', 'B2', 'A3', 'A4', 'A5']);
});

test('a key that empties and comes back joins the end of the turn order', () => {
  const q = new AdmissionQueue<W>(LIMITS);
  q.offer(new W('A1', 0, 'A'));
  q.offer(new W('B1', 0, 'B'));
  assert.equal(q.next()?.name, 'A1');
  q.offer(new W('A2', 0, 'A'));
  q.offer(new W('C1', 0, 'C'));
  assert.deepEqual(names(q), ['B1', 'A2', 'C1']);
});

test('a full queue: a more important newcomer evicts the newest of the most crowded key of the lowest band', () => {
  const q = new AdmissionQueue<W>({ maxQueued: 4, maxQueuedBytes: 1_000_000 });
  q.offer(new W('hi', 5, 'X'));
  q.offer(new W('A1', 0, 'A'));
  q.offer(new W('A2', 0, 'A'));
  q.offer(new W('B1', 0, 'B'));
  const offer = q.offer(new W('new', 3, 'Z'));
  assert.equal(offer.queued, true);
  assert.deepEqual(
    offer.evicted.map((w) => w.name),
    ['A2'],
  );
  assert.deepEqual(names(q), ['hi', 'new', 'A1', 'B1']);
});

test('a full queue never evicts a request more important than the newcomer, nor one as important of a smaller key', () => {
  const q = new AdmissionQueue<W>({ maxQueued: 2, maxQueuedBytes: 1_000_000 });
  q.offer(new W('A1', 0, 'A'));
  q.offer(new W('B1', 0, 'B'));
  assert.deepEqual(q.offer(new W('low', -1, 'C')), { queued: false, evicted: [] });
  // Same priority, and no key holds more than one beyond the newcomer's: refused.
  assert.deepEqual(q.offer(new W('C1', 0, 'C')), { queued: false, evicted: [] });
  assert.deepEqual(names(q), ['A1', 'B1']);
});

test('a key flooding a full queue loses its own newest to another key at the same priority, never the other way', () => {
  const q = new AdmissionQueue<W>({ maxQueued: 4, maxQueuedBytes: 1_000_000 });
  for (let i = 1; i <= 4; i++) q.offer(new W(`A${i}`, 0, 'A'));
  // The flooding key itself is refused once full...
  assert.equal(q.offer(new W('A5', 0, 'A')).queued, false);
  // ...while another key's request takes the flooder's newest place.
  const offer = q.offer(new W('B1', 0, 'B'));
  assert.equal(offer.queued, true);
  assert.deepEqual(
    offer.evicted.map((w) => w.name),
    ['A4'],
  );
  assert.deepEqual(names(q), ['A1', 'B1', 'A2', 'A3']);
});

test('the bytes bound: bodies held never exceed maxQueuedBytes, and a body larger than it is refused outright', () => {
  const q = new AdmissionQueue<W>({ maxQueued: 100, maxQueuedBytes: 10 });
  assert.equal(q.offer(new W('big', 9, '', 1e6, 11)).queued, false);
  q.offer(new W('a', 0, 'A', 1e6, 4));
  q.offer(new W('b', 0, 'A', 1e6, 4));
  assert.equal(q.bytes, 8);
  const offer = q.offer(new W('c', 1, 'B', 1e6, 7));
  // Both low-priority bodies must go to make room for 7 bytes.
  assert.deepEqual(
    offer.evicted.map((w) => w.name),
    ['b', 'a'],
  );
  assert.equal(q.bytes, 7);
});

test('deadlines: expire() returns exactly the requests due, whatever their band or key', () => {
  const q = new AdmissionQueue<W>(LIMITS);
  q.offer(new W('p9-late', 9, 'A', 500));
  q.offer(new W('p0-early', 0, 'B', 100));
  q.offer(new W('p0-mid', 0, 'A', 300));
  q.offer(new W('p-1-early', -1, '', 100));
  assert.equal(q.nextDeadlineMs(), 100);
  assert.deepEqual(
    q
      .expire(99)
      .map((w) => w.name)
      .sort(),
    [],
  );
  assert.deepEqual(
    q
      .expire(300)
      .map((w) => w.name)
      .sort(),
    ['p-1-early', 'p0-early', 'p0-mid'],
  );
  assert.equal(q.size, 1);
  assert.equal(q.nextDeadlineMs(), 500);
  assert.deepEqual(names(q), ['p9-late']);
  assert.equal(q.nextDeadlineMs(), null);
});

test('a request removed while waiting (its client left) is never returned, and frees its place and bytes', () => {
  const q = new AdmissionQueue<W>({ maxQueued: 2, maxQueuedBytes: 100 });
  const a = new W('a', 0, 'A', 100, 40);
  q.offer(a);
  q.offer(new W('b', 0, 'B', 200, 40));
  assert.equal(q.remove(a), true);
  assert.equal(q.remove(a), false);
  assert.equal(q.bytes, 40);
  assert.equal(q.offer(new W('c', 0, 'C', 300, 40)).queued, true);
  assert.deepEqual(
    q.expire(1000).map((w) => w.name),
    ['b', 'c'],
  );
});

test('a request that comes back after every region refused it goes first in its key', () => {
  const q = new AdmissionQueue<W>(LIMITS);
  q.offer(new W('A1', 0, 'A'));
  q.offer(new W('A2', 0, 'A'));
  q.offer(new W('back', 0, 'A'), true);
  assert.deepEqual(names(q), ['back', 'A1', 'A2']);
});

test('stats: waiting, keys and the oldest wait per band', () => {
  const q = new AdmissionQueue<W>(LIMITS);
  q.offer(new W('a', 0, 'A', 1e6, 1, 100));
  q.offer(new W('b', 0, 'B', 1e6, 1, 50));
  q.offer(new W('c', 3, 'A', 1e6, 1, 400));
  assert.deepEqual(q.stats(1000), [
    { priority: 3, waiting: 1, keys: 1, oldestWaitMs: 600 },
    { priority: 0, waiting: 2, keys: 2, oldestWaitMs: 950 },
  ]);
  assert.equal(q.waitingAtOrAbove(1), 1);
  assert.equal(q.waitingAtOrAbove(0), 3);
});

test('property: every request offered leaves exactly once, in priority order, and the bounds always hold', (t) => {
  const op = fc.oneof(
    fc.record({
      kind: fc.constant('offer' as const),
      priority: fc.integer({ min: -2, max: 2 }),
      key: fc.constantFrom('A', 'B', 'C', ''),
      bytes: fc.integer({ min: 1, max: 30 }),
      ttl: fc.integer({ min: 0, max: 50 }),
      front: fc.boolean(),
    }),
    fc.record({ kind: fc.constant('next' as const) }),
    fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 20 }) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 200 }), fc.integer({ min: 0, max: 8 }), (ops, maxQueued) => {
      const limits = { maxQueued, maxQueuedBytes: 100 };
      const q = new AdmissionQueue<W>(limits);
      const waiting = new Set<W>();
      const left = new Set<W>();
      let now = 0;
      let n = 0;
      const leave = (w: W): void => {
        assert.ok(waiting.delete(w), `${w.name} left but was not waiting`);
        assert.ok(!left.has(w), `${w.name} left twice`);
        left.add(w);
      };
      for (const o of ops) {
        if (o.kind === 'offer') {
          const w = new W(`w${n++}`, o.priority, o.key, now + o.ttl, o.bytes, now);
          const offer = q.offer(w, o.front);
          for (const v of offer.evicted) {
            assert.ok(v.priority <= w.priority, 'never evicts a more important request');
            leave(v);
          }
          if (offer.queued) waiting.add(w);
        } else if (o.kind === 'next') {
          const w = q.next();
          if (w === null) assert.equal(waiting.size, 0);
          else {
            for (const other of waiting) assert.ok(other.priority <= w.priority, 'strict priority');
            leave(w);
          }
        } else if (o.kind === 'remove') {
          const list = [...waiting];
          if (list.length > 0) {
            const w = list[o.pick % list.length] as W;
            assert.equal(q.remove(w), true);
            leave(w);
          }
        } else {
          now += o.ms;
          for (const w of q.expire(now)) {
            assert.ok(w.deadlineMs <= now);
            leave(w);
          }
          for (const w of waiting) assert.ok(w.deadlineMs > now, 'nothing due stays');
        }
        assert.equal(q.size, waiting.size);
        assert.equal(
          q.bytes,
          [...waiting].reduce((sum, w) => sum + w.bytes, 0),
        );
        assert.ok(q.size <= maxQueued && q.bytes <= limits.maxQueuedBytes);
      }
      for (const w of q.drain()) leave(w);
      assert.equal(waiting.size, 0);
    }),
    { seed: fuzzSeed(t), numRuns: fuzzRuns(300) },
  );
});
