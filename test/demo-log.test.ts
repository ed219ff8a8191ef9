import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../src/logger/logger.js';
import { demoLog, formatEvent } from '../src/demo-log.js';

function fakeOut(isTTY: boolean) {
  const written: string[] = [];
  const out = { isTTY, write: (s: string) => written.push(s) > 0 } as unknown as NodeJS.WriteStream;
  return { out, written };
}

test('an event reads as its message and key=value pairs, quoting values with spaces', () => {
  assert.equal(
    formatEvent({
      level: 40,
      time: 1,
      pid: 7,
      name: 'switchyard',
      msg: 'routing mode',
      deployment: 'chat-eu',
      mode: 'conservative',
      reason: 'coverage 0.67 < 0.75',
      coverage: 0.67,
      previousMode: null,
    }),
    'routing mode deployment=chat-eu mode=conservative reason="coverage 0.67 < 0.75" coverage=0.67 previousMode=null',
  );
});

test('at a terminal, lines are human-readable and held back until the instructions are out', () => {
  const { out, written } = fakeOut(true);
  const log = demoLog(out);
  assert.ok(log.destination !== undefined);
  const logger = createLogger('info', log.destination);
  logger.warn({ deployment: 'chat-eu', mode: 'conservative' }, 'routing mode');
  assert.deepEqual(written, [], 'held back');
  out.write('INSTRUCTIONS\n');
  log.open();
  logger.info({ listener: 'admin', port: 8081 }, 'listening');
  const text = written.join('').replace(/\u001b\[[0-9;]*m/g, '');
  assert.match(
    text,
    /^INSTRUCTIONS\nlog:\n\[\d\d:\d\d:\d\d\.\d{3}\] WARN: routing mode deployment=chat-eu mode=conservative\n/,
  );
  assert.match(text, /\] INFO: listening listener=admin port=8081\n$/);
  assert.doesNotMatch(text, /"level"/);
});

test('anywhere else the logger keeps its JSON lines', () => {
  const { out } = fakeOut(false);
  const log = demoLog(out);
  assert.equal(log.destination, undefined);
  log.open();
});
