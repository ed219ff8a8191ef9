// Secrets in a config file are better kept out of it: a value may say "${NAME}" and be
// read from the environment when the config is loaded. An unset variable is a config
// problem like any other (listed, never a silent empty string), and no message ever
// quotes the secret itself.
import { type Check, describe } from './validate-fields.js';

export type Environment = Readonly<Record<string, string | undefined>>;

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
// What an HTTP token may hold (RFC 9110 token68 and friends): visible ASCII, no spaces.
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

export type Expanded = { readonly value: string } | { readonly missing: readonly string[] };

/** Replaces every "${NAME}" in `text` with its variable; lists the unset ones instead. */
export function expandEnv(text: string, env: Environment): Expanded {
  const missing: string[] = [];
  const value = text.replace(REFERENCE, (_all, name: string) => {
    const found = env[name];
    if (found === undefined) missing.push(name);
    return found ?? '';
  });
  return missing.length > 0 ? { missing } : { value };
}

/** "environment variable "A" is not set", or the plural for several. */
export function unsetMessage(missing: readonly string[]): string {
  const names = missing.map((n) => JSON.stringify(n)).join(', ');
  return `environment variable${missing.length > 1 ? 's' : ''} ${names} ${missing.length > 1 ? 'are' : 'is'} not set`;
}

/** A bearer token, literal or "${NAME}"; `key` names the setting in "what would be right". */
export function bearerToken(env: Environment, key: string): Check<string> {
  return {
    expected: 'a token of visible ASCII characters, or "${NAME}" to read it from the environment',
    parse: (value) => {
      if (typeof value !== 'string' || value === '') return { wrong: `got ${describe(value)}` };
      const expanded = expandEnv(value, env);
      if ('missing' in expanded) {
        return {
          wrong: unsetMessage(expanded.missing),
          right: `set it, or remove ${key} to leave the admin listener open`,
        };
      }
      if (expanded.value === '') {
        return { wrong: `is empty once ${value} is expanded`, right: 'a non-empty token' };
      }
      if (!VISIBLE_ASCII.test(expanded.value)) {
        return {
          wrong: 'contains a space or control character',
          right: 'a token of visible ASCII characters, as sent in "Authorization: Bearer <token>"',
        };
      }
      return { value: expanded.value };
    },
  };
}
