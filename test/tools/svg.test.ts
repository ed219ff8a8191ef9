// The charts' SVG primitives: attributes in the order given, escaping in one place.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { el, esc, FONT, svgDocument, text } from '../../tools/svg.js';

test('elements keep their attributes in order and escape text', () => {
  assert.equal(esc(`a & <b> "c"`), 'a &amp; &lt;b&gt; &quot;c&quot;');
  assert.equal(el('line', { x1: 1, x2: 2.5, y1: undefined, stroke: '#888' }), '<line x1="1" x2="2.5" stroke="#888"/>');
  assert.equal(el('g', {}, '<x/>'), '<g><x/></g>');
  assert.equal(
    text({ x: 3, 'font-size': 10, ...FONT }, 'p < 1'),
    '<text x="3" font-size="10" font-family="system-ui, -apple-system, Segoe UI, sans-serif">p &lt; 1</text>',
  );
});

test('a document: root, background, parts, laid out on one line or indented', () => {
  assert.equal(
    svgDocument(10, 20, ['<a/>', '<b/>']),
    '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="20" viewBox="0 0 10 20"><rect width="100%" height="100%" fill="white"/><a/><b/></svg>\n',
  );
  assert.equal(
    svgDocument(10, 20, ['<a/>'], { separator: '\n  ', background: '#fff' }),
    '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="20" viewBox="0 0 10 20">\n  <rect width="100%" height="100%" fill="#fff"/>\n  <a/>\n</svg>\n',
  );
});
