// Text a client sent, as the router may repeat it: in an error body or a log line, a
// name is a few dozen characters at most. A 15 MB "model" must not come back as a
// 15 MB 404, nor fill a log.

const MAX_NAME_CHARS = 64;
const MAX_TARGET_CHARS = 256;

function truncated(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}... (${text.length} characters)`;
}

/** A deployment name from a path or a body, for messages. */
export function echoName(name: string): string {
  return truncated(name, MAX_NAME_CHARS);
}

/** A request target, for logs. */
export function echoTarget(target: string): string {
  return truncated(target, MAX_TARGET_CHARS);
}
