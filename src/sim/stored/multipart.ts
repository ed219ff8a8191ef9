// Just enough of multipart/form-data (RFC 7578) to read a file upload: each part's
// name, filename and bytes.

export interface FormPart {
  readonly name: string;
  readonly filename: string | null;
  readonly content: Buffer;
}

export function parseMultipart(contentType: string | undefined, body: Buffer): FormPart[] {
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? '');
  if (match === null) throw new Error('request body must be multipart/form-data with a boundary');
  const boundary = Buffer.from(`--${match[1] ?? match[2]}`);
  const parts: FormPart[] = [];
  let at = body.indexOf(boundary);
  while (at !== -1) {
    const start = at + boundary.length;
    // "--" after a boundary closes the body.
    if (body[start] === 0x2d && body[start + 1] === 0x2d) break;
    const next = body.indexOf(boundary, start);
    if (next === -1) break;
    const part = body.subarray(start + 2, next - 2);
    const headEnd = part.indexOf('\r\n\r\n');
    if (headEnd !== -1) {
      const head = part.subarray(0, headEnd).toString('utf8');
      const name = /(?:^|[;\s])name="([^"]*)"/i.exec(head)?.[1];
      const filename = /filename="([^"]*)"/i.exec(head)?.[1] ?? null;
      if (name !== undefined) parts.push({ name, filename, content: Buffer.from(part.subarray(headEnd + 4)) });
    }
    at = next;
  }
  return parts;
}
