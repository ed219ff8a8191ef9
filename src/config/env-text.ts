// Secrets in a config file are better kept out of it: a value may say "${NAME}" and be
// read from the environment when the config is loaded. An unset variable is a config
// problem like any other (listed, never a silent empty string), and no message ever
// quotes the secret itself.
import { type Check, describe } from './validate-fields.js';

export type Environment = Readonly<Record<string, string | undefined>>;

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
// What an HTTP token may hold (RFC 9110 token68 and friends): visible ASCII, no spaces.
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

/** A bearer token, literal or "${NAME}"; `key` names the setting in "what would be right". */
export function bearerToken(env: Environment, key: string): Check<string> {
  return {
    expected: 'a token of visible ASCII characters, or "${NAME}" to read it from the environment',
    parse: (value) => {
      if (typeof value !== 'string' || value === '') return { wrong: `got ${describe(value)}` };
      const missing: string[] = [];
      const expanded = value.replace(REFERENCE, (_all, name: string) => {
        const found = env[name];
        if (found === undefined) missing.push(name);
        return found ?? '';
      });
      if (missing.length > 0) {
        const names = missing.map((n) => JSON.stringify(n)).join(', ');
        return {
          wrong: `environment variable${missing.length > 1 ? 's' : ''} ${names} ${missing.length > 1 ? 'are' : 'is'} not set`,
          right: `set it, or remove ${key} to leave the admin listener open`,
        };
      }
      if (expanded === '') {
        return { wrong: `is empty once ${value} is expanded`, right: 'a non-empty token' };
      }
      if (!VISIBLE_ASCII.test(expanded)) {
        return {
          wrong: 'contains a space or control character',
          right: 'a token of visible ASCII characters, as sent in "Authorization: Bearer <token>"',
        };
      }
      return { value: expanded };
    },
  };
}
