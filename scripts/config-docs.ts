// npm run config:docs: writes switchyard.schema.json and docs/configuration.md from the
// configuration schema, at the root of the repository.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REFERENCE_FILE, SCHEMA_FILE, renderJsonSchema, renderReference } from './config-reference.js';

// This file runs as dist/scripts/config-docs.js.
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
writeFileSync(join(root, SCHEMA_FILE), renderJsonSchema());
writeFileSync(join(root, REFERENCE_FILE), renderReference());
process.stdout.write(`wrote ${SCHEMA_FILE} and ${REFERENCE_FILE}\n`);
