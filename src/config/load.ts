// Reads a config file (JSON by its extension, YAML otherwise) and validates it.
// Syntax errors are reported as `file:line:col: ...`, the form editors and terminals
// turn into links.

import { readFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { type ConfigResult, validateConfig } from './validate.js';

type Parsed = { ok: true; value: unknown } | { ok: false; errors: string[] };

export async function loadConfigFile(path: string): Promise<ConfigResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return { ok: false, errors: [`${path}: cannot read the config file: ${osReason(error)}`] };
  }
  return parseConfigText(text, path);
}

export function parseConfigText(text: string, fileName: string): ConfigResult {
  // Some Windows editors start files with a byte-order mark, which JSON.parse rejects.
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const parsed =
    extname(fileName).toLowerCase() === '.json' ? parseJson(source, fileName) : parseYaml(source, fileName);
  // A relative path in the file (a backend's tls.caFile) starts at the file's own folder.
  return parsed.ok ? validateConfig(parsed.value, process.env, dirname(resolve(fileName))) : parsed;
}

function parseJson(text: string, fileName: string): Parsed {
  if (text.trim() === '') return emptyDocument(fileName);
  try {
    const value: unknown = JSON.parse(text);
    return { ok: true, value };
  } catch (error) {
    const message = errorMessage(error);
    // V8 states a position for most syntax errors; "Unexpected token" ones carry none.
    const position = /in JSON at position (\d+)/.exec(message)?.[1];
    const offset =
      position !== undefined
        ? Number(position)
        : message.startsWith('Unexpected end of JSON input')
          ? text.trimEnd().length
          : undefined;
    const reason = message.replace(/ in JSON at position \d+.*$/s, '');
    return { ok: false, errors: [`${locate(fileName, text, offset)}: JSON: ${oneLine(reason)}`] };
  }
}

function parseYaml(text: string, fileName: string): Parsed {
  const lineCounter = new LineCounter();
  // Pretty errors append a multi-line excerpt of the source; the contract wants one line per problem.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const errors = doc.errors.map((error) => {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      return `${fileName}:${line}:${col}: YAML: ${oneLine(error.message)}`;
    });
    return { ok: false, errors };
  }
  if (doc.contents === null) return emptyDocument(fileName);
  try {
    const value: unknown = doc.toJS();
    return { ok: true, value };
  } catch (error) {
    // Unresolved aliases and alias bombs only surface when the document is converted.
    return { ok: false, errors: [`${fileName}: YAML: ${oneLine(errorMessage(error))}`] };
  }
}

function emptyDocument(fileName: string): Parsed {
  return {
    ok: false,
    errors: [
      `${fileName}: empty document (expected a mapping with at least zones, backends, deployments and telemetry)`,
    ],
  };
}

function locate(fileName: string, text: string, offset: number | undefined): string {
  if (offset === undefined) return fileName;
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const col = offset - before.lastIndexOf('\n');
  return `${fileName}:${line}:${col}`;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ');
}

function osReason(error: unknown): string {
  // Node ends the message with ", open '<path>'"; the path already leads the line.
  return errorMessage(error).replace(/, \w+(?: '.*')?$/, '');
}
