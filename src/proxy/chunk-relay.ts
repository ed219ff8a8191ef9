// Writing a streamed answer's chunks to the client's socket ourselves (see ProxyCall's
// writeBody): the chunked-encoding frame, and when to gather chunks into one write.
//
// Node's ServerResponse.write frames a chunk with four socket writes into a corked
// socket and uncorks it on the next tick: a tick and a writev per chunk. Framing the
// chunk into one buffer and writing it at once costs one write. But when several
// chunks of a stream arrive in one upstream read (a loaded router reads less often
// than the backend writes), one write each would make several system calls where
// Node's cork makes one. So a stream that has had two chunks in one read gathers
// every read's chunks (socket corked until the microtask checkpoint after the read)
// until a read brings it a single chunk again; one that has not writes at once.

/** Larger chunks go through Node's writev rather than be copied into a frame. */
export const MAX_FRAMED_BYTES = 16 * 1024;

/** One chunk of a chunked body, framed: its size in hex, CRLF, its bytes, CRLF. */
export function framed(chunk: Buffer): Buffer {
  const n = chunk.length;
  let digits = 1;
  while (n >>> (4 * digits) !== 0) digits++;
  const out = Buffer.allocUnsafe(digits + n + 4);
  for (let i = digits - 1, v = n; i >= 0; i--, v >>>= 4) {
    const d = v & 15;
    out[i] = d < 10 ? 48 + d : 87 + d;
  }
  out[digits] = 13;
  out[digits + 1] = 10;
  chunk.copy(out, digits + 2);
  out[digits + n + 2] = 13;
  out[digits + n + 3] = 10;
  return out;
}

/**
 * `data: [DONE]` and its blank line, an OpenAI-style stream's last event: the end of
 * the body follows, so it goes through Node's corked write and leaves with it.
 */
export function closesStream(chunk: Buffer): boolean {
  const n = chunk.length;
  return (
    n >= 8 &&
    chunk[n - 1] === 10 &&
    chunk[n - 2] === 10 &&
    chunk[n - 3] === 93 && // ]
    chunk[n - 4] === 69 && // E
    chunk[n - 5] === 78 && // N
    chunk[n - 6] === 79 && // O
    chunk[n - 7] === 68 && // D
    chunk[n - 8] === 91 // [
  );
}

/** What the relay needs of a socket. */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

let read = 0;
let checkpointQueued = false;
const corked: Corkable[] = [];

function checkpoint(): void {
  checkpointQueued = false;
  read++;
  for (let i = 0; i < corked.length; i++) (corked[i] as Corkable).uncork();
  corked.length = 0;
}

/**
 * Which upstream read the current chunk came from: undici hands over every chunk of
 * one socket read synchronously, and the number moves on at the microtask checkpoint
 * that follows.
 */
export function currentRead(): number {
  if (!checkpointQueued) {
    checkpointQueued = true;
    queueMicrotask(checkpoint);
  }
  return read;
}

/** Holds a socket's writes until the checkpoint after this read (call after currentRead). */
export function corkUntilCheckpoint(socket: Corkable): void {
  socket.cork();
  corked.push(socket);
}

/** Per stream: whether its chunks are gathered per read, and what the last read brought. */
export class RelayBatching {
  private read = -1;
  private chunks = 0;
  private gathering = false;

  /** Before writing a chunk to `socket`: corks it when this read's chunks are to leave together. */
  beforeWrite(socket: Corkable): void {
    const now = currentRead();
    if (now !== this.read) {
      // A read with one chunk while gathering: back to writing at once.
      if (this.gathering && this.chunks === 1) this.gathering = false;
      this.read = now;
      this.chunks = 1;
      if (this.gathering) corkUntilCheckpoint(socket);
      return;
    }
    this.chunks++;
    if (!this.gathering) {
      // The second chunk of one read: the rest of this read, and the next reads, leave together.
      this.gathering = true;
      corkUntilCheckpoint(socket);
    }
  }
}
