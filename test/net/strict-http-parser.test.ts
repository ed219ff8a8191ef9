// The strict parser the framing tests rely on: it must fail on every mistake those
// tests exist to catch, or they could pass on a corrupt answer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { headerValues, parseStrictResponse, StrictHttpError } from '../helpers/strict-http.js';

const parse = (s: string, closed = true) => parseStrictResponse(Buffer.from(s, 'latin1'), closed);

test('valid answers: Content-Length, chunked with trailers, close-delimited, interim 1xx, duplicate headers kept', () => {
  const cl = parse('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nSet-Cookie: a\r\nset-cookie: b\r\n\r\nok');
  assert.equal(cl?.body.toString(), 'ok');
  assert.deepEqual(cl === null ? [] : headerValues(cl, 'set-cookie'), ['a', 'b']);
  const chunked = parse(
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\n1\r\nd\r\n0\r\nT: v\r\n\r\n',
  );
  assert.equal(chunked?.body.toString(), 'abcd');
  assert.equal(chunked?.framing, 'chunked');
  assert.equal(parse('HTTP/1.0 200 OK\r\n\r\nto the end')?.body.toString(), 'to the end');
  const interim = parse('HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n');
  assert.deepEqual([interim?.interim, interim?.status, interim?.framing], [[103], 204, 'none']);
});

test('incomplete answers wait for more bytes while the connection is open, and fail once it closed', () => {
  for (const partial of [
    'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab',
  ]) {
    assert.equal(parse(partial, false), null);
    assert.throws(() => parse(partial, true), StrictHttpError);
  }
});

test('framing mistakes are errors', () => {
  const bad = [
    '35\r\ndata: x\r\nHTTP/1.1 200 OK\r\n\r\n', // a body chunk before the status line
    'HTTP/1.1 200 OK\nContent-Length: 0\n\n', // bare LF
    'HTTP/1.1 200 OK\r\n folded: x\r\n\r\n', // obsolete line folding
    'HTTP/1.1 200 OK\r\nbad name: x\r\n\r\n', // a space in a header name
    'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', // both framings
    'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab', // two lengths
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n', // size not hex
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n', // chunk longer than its size
    'HTTP/1.1 200 OK\r\nX: a\u0001b\r\n\r\n', // a control character in a value
  ];
  for (const answer of bad) assert.throws(() => parse(answer), StrictHttpError, JSON.stringify(answer));
});
