// The client's side of a proxied request: the head and body written to its
// ServerResponse, with backpressure. Only ServerResponse's documented methods are
// used: Node frames a chunked body and gathers the writes of one tick itself (Node 22
// in the socket, 24 and later in the response), so nothing is written to the socket
// behind its back and a head can never be overtaken by its body.
//
// When the client's socket is full, the writer tells its owner to pause the upstream,
// waits for 'drain', and meanwhile keeps the request in the read-stall list: a client
// that drains nothing for limits.clientReadTimeoutMs is disconnected.
import type { ServerResponse } from 'node:http';
import type { DeadlineEntry, DeadlineList } from './deadline-list.js';

/** What the writer tells the request it writes for. */
export interface WriterOwner {
  /** The client drained: the upstream may be read again. */
  clientDrained(): void;
  /** The client went away (its response closed before it was finished). */
  clientClosed(): void;
  /** The client read nothing for limits.clientReadTimeoutMs; its connection is being closed. */
  clientStalled(): void;
}

// Listeners are module-level functions that find their writer on the response: no
// closures per request.
const kWriter = Symbol('switchyard.clientWriter');
type WriterResponse = ServerResponse & { [kWriter]?: ClientWriter | null };

function onDrain(this: WriterResponse): void {
  this[kWriter]?.drained();
}

function onClose(this: WriterResponse): void {
  const writer = this[kWriter];
  if (writer != null && !this.writableFinished) writer.owner.clientClosed();
}

export class ClientWriter implements DeadlineEntry {
  deadlineAt = 0;
  deadlinePrev: DeadlineEntry | null = null;
  deadlineNext: DeadlineEntry | null = null;
  deadlineListed = false;

  /** A first body byte has been written (the head went out with it, or before). */
  bodyStarted = false;
  private waitingForDrain = false;

  constructor(
    readonly owner: WriterOwner,
    readonly res: ServerResponse,
    private readonly readStalls: DeadlineList,
  ) {
    (res as WriterResponse)[kWriter] = this;
    res.once('close', onClose);
  }

  /**
   * Sends status and headers. Node refuses a header it cannot send (a control
   * character, say): then nothing was sent and the error is returned.
   */
  head(status: number, headers: string[]): Error | null {
    try {
      this.res.writeHead(status, headers);
      return null;
    } catch (err) {
      return err as Error;
    }
  }

  /** Writes a body chunk; false when the client's buffer is full (the owner pauses the upstream until clientDrained). */
  write(chunk: Buffer): boolean {
    this.bodyStarted = true;
    const ok = this.res.write(chunk);
    if (!ok && !this.waitingForDrain) {
      this.waitingForDrain = true;
      this.res.once('drain', onDrain);
      this.readStalls.add(this, performance.now());
    }
    return ok;
  }

  end(): void {
    this.res.end();
  }

  drained(): void {
    this.waitingForDrain = false;
    this.readStalls.remove(this);
    this.owner.clientDrained();
  }

  onDeadline(): void {
    this.owner.clientStalled();
    this.res.destroy();
  }

  /** The request is over: nothing of it stays on the response (its socket may serve the next request). */
  release(): void {
    this.readStalls.remove(this);
    const res = this.res as WriterResponse;
    res[kWriter] = null;
    res.removeListener('close', onClose);
    if (this.waitingForDrain) {
      this.waitingForDrain = false;
      res.removeListener('drain', onDrain);
    }
  }
}
