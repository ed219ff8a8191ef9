// How the most forgiving backend would read a request: it decodes every escape,
// turns backslashes into slashes, resolves dot segments, merges slashes, matches the
// Azure prefix in any case, and takes the last "model" of a JSON body. If the
// deployment it reads is a configured one, the region that received the request must
// be in that deployment's boundary, or the router has let a request out.

export function lenientDeployment(url: string, body: Buffer): string | null {
  let target = url;
  const abs = /^https?:\/\/[^/?#]*/i.exec(target);
  if (abs !== null) target = target.slice(abs[0].length) || '/';
  let path = target.split(/[?#]/, 1)[0] ?? '';
  try {
    path = decodeURIComponent(path);
  } catch {
    // Keep it raw, as such backends do.
  }
  path = path.replace(/\\/g, '/').split(';', 1)[0] ?? '';
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  if (out.length >= 3 && out[0]?.toLowerCase() === 'openai' && out[1]?.toLowerCase() === 'deployments') {
    return out[2] ?? null;
  }
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { model?: unknown };
    return typeof parsed?.model === 'string' ? parsed.model : null;
  } catch {
    return null;
  }
}
