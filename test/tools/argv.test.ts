// The bench and replay commands' argv parser: typed values, defaults, and errors that
// name the flag and what it expects.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { choice, flag, helpText, number, numbers, oneOf, parseArgv, text } from '../../tools/argv.js';

const SPEC = {
  quick: flag('a smoke test'),
  seconds: number('seconds per run', 30, { min: 1, max: 60, arg: 'S' }),
  rounds: number('rounds', undefined, { min: 1, integer: true }),
  loads: numbers('offered loads', [0.5, 0.8], { min: 0.1 }),
  fleets: oneOf('fleets', ['a', 'b', 'c'] as const),
  only: oneOf('incidents', ['x', 'y'] as const, undefined),
  workload: choice('workload', ['A', 'B'] as const, 'A'),
  out: text('where results go', 'bench', 'DIR'),
};
const COMMAND = { usage: 'usage: test [-- options]' };

test('defaults, and values of every kind', () => {
  const d = parseArgv([], SPEC, COMMAND);
  assert.deepEqual(
    { ...d },
    {
      help: false,
      rest: [],
      quick: false,
      seconds: 30,
      rounds: undefined,
      loads: [0.5, 0.8],
      fleets: ['a', 'b', 'c'],
      only: undefined,
      workload: 'A',
      out: 'bench',
    },
  );
  const v = parseArgv(
    [
      '--quick',
      '--seconds',
      '2.5',
      '--rounds=4',
      '--loads',
      '0.3, 1.2',
      '--fleets',
      'B,a',
      '--workload',
      'b',
      '--out',
      '/tmp/x',
    ],
    SPEC,
    COMMAND,
  );
  assert.equal(v.quick, true);
  assert.equal(v.seconds, 2.5);
  assert.equal(v.rounds, 4);
  assert.deepEqual(v.loads, [0.3, 1.2]);
  assert.deepEqual(v.fleets, ['b', 'a']);
  assert.equal(v.workload, 'B');
  assert.equal(v.out, '/tmp/x');
});

test('a wrong value names the flag and what it expects', () => {
  assert.throws(
    () => parseArgv(['--seconds', '0'], SPEC, COMMAND),
    /--seconds: expected a number from 1 to 60, got "0"/,
  );
  assert.throws(
    () => parseArgv(['--rounds', '1.5'], SPEC, COMMAND),
    /--rounds: expected a whole number of at least 1, got "1.5"/,
  );
  assert.throws(
    () => parseArgv(['--loads', '0.5,x'], SPEC, COMMAND),
    /--loads: expected a number of at least 0.1, got "x"/,
  );
  assert.throws(
    () => parseArgv(['--fleets', 'a,d'], SPEC, COMMAND),
    /--fleets: unknown "d" \(expected one of a, b, c\)/,
  );
  assert.throws(() => parseArgv(['--workload', 'C'], SPEC, COMMAND), /--workload: unknown "C"/);
  assert.throws(() => parseArgv(['--nope'], SPEC, COMMAND), /nope/);
  assert.throws(() => parseArgv(['stray'], SPEC, COMMAND), /stray/);
});

test('arguments after the options only where the command takes them', () => {
  const v = parseArgv(['--quick', '--', '--cpu-prof-interval=100'], SPEC, { ...COMMAND, rest: 'node flags' });
  assert.deepEqual(v.rest, ['--cpu-prof-interval=100']);
  assert.equal(parseArgv(['-h'], SPEC, COMMAND).help, true);
});

test('the help text lists every option with its placeholder and default', () => {
  const help = helpText(SPEC, { ...COMMAND, notes: 'a note' });
  assert.match(help, /^usage: test \[-- options\]\n/);
  assert.match(help, /--seconds S +seconds per run \(default 30\)/);
  assert.match(help, /--rounds N +rounds\n/);
  assert.match(help, /--fleets LIST +fleets \(default a,b,c\)/);
  assert.match(help, /--workload A\|B +workload \(default A\)/);
  assert.match(help, /\na note$/);
});
