// One GET to the admin listener with a deadline, as the terminal tools need it: a
// status and a parsed body, or a one-line reason it could not be had.
export type AdminAnswer =
  | { readonly ok: true; readonly status: number; readonly body: unknown }
  | { readonly ok: false; readonly reason: string };

export const ADMIN_TIMEOUT_MS = 3000;

/** The router's admin.token, when it has one: read from the environment, never from a flag (shell history). */
export const ADMIN_TOKEN_ENV = 'SWITCHYARD_ADMIN_TOKEN';

export async function getAdmin(
  url: string,
  timeoutMs = ADMIN_TIMEOUT_MS,
  token: string | undefined = process.env[ADMIN_TOKEN_ENV],
): Promise<AdminAnswer> {
  let res: Response;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token !== undefined && token !== '') headers.authorization = `Bearer ${token}`;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError') return { ok: false, reason: `no answer within ${timeoutMs} ms` };
    return { ok: false, reason: e.cause?.code ?? e.cause?.message ?? e.message };
  }
  const text = await res.text().catch(() => '');
  let body: unknown = null;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    body = null;
  }
  return { ok: true, status: res.status, body };
}
