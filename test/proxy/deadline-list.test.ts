import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeadlineList, type DeadlineEntry } from '../../src/proxy/deadline-list.js';

function entry(name: string, fired: string[]): DeadlineEntry {
  return {
    deadlineAt: 0,
    deadlinePrev: null,
    deadlineNext: null,
    deadlineListed: false,
    onDeadline: () => fired.push(name),
  };
}

test('entries expire in order, removed ones never, each once', (t) => {
  const list = new DeadlineList(100);
  t.after(() => list.close());
  const fired: string[] = [];
  const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((n) => entry(n, fired)) as [
    DeadlineEntry,
    DeadlineEntry,
    DeadlineEntry,
    DeadlineEntry,
  ];
  list.add(a, 0);
  list.add(b, 10);
  list.add(c, 20);
  list.add(d, 30);
  list.remove(b);
  list.sweep(109);
  assert.deepEqual(fired, ['a']);
  list.sweep(125);
  assert.deepEqual(fired, ['a', 'c']);
  list.add(c, 40);
  list.remove(d);
  list.sweep(1000);
  assert.deepEqual(fired, ['a', 'c', 'c']);
  assert.equal(list.empty, true);
  list.remove(a);
  assert.equal(list.empty, true, 'removing an entry twice is harmless');
});

test('re-adding an entry moves it to the back', (t) => {
  const list = new DeadlineList(100);
  t.after(() => list.close());
  const fired: string[] = [];
  const a = entry('a', fired);
  const b = entry('b', fired);
  list.add(a, 0);
  list.add(b, 5);
  list.add(a, 10);
  list.sweep(106);
  assert.deepEqual(fired, ['b']);
  list.sweep(111);
  assert.deepEqual(fired, ['b', 'a']);
});
