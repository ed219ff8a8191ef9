// What one simulated region keeps, as a real resource does: the responses it made,
// conversations and their items, uploaded files, batches, and the encrypted reasoning
// it handed out (which only it can read back). Each kind is bounded: the oldest entry
// goes first, as a service's retention would drop it.
import { randomBytes } from 'node:crypto';

/** Entries kept per kind and region. */
export const STORED_LIMIT = 5000;

export class Bounded<V> {
  private readonly map = new Map<string, V>();

  constructor(private readonly limit: number) {}

  get(id: string): V | undefined {
    return this.map.get(id);
  }

  has(id: string): boolean {
    return this.map.has(id);
  }

  set(id: string, value: V): void {
    this.map.delete(id);
    this.map.set(id, value);
    if (this.map.size > this.limit) {
      const oldest = this.map.keys().next();
      if (oldest.done !== true) this.map.delete(oldest.value);
    }
  }

  delete(id: string): boolean {
    return this.map.delete(id);
  }

  values(): IterableIterator<V> {
    return this.map.values();
  }

  get size(): number {
    return this.map.size;
  }
}

/** An item of a response's input or output, or of a conversation, as the API shows it. */
export type Item = Record<string, unknown> & { readonly id: string };

/** What a Responses request asked for and what its answer will be named; made when the request is admitted. */
export interface ResponseTurn {
  readonly responseId: string;
  readonly messageId: string;
  /** A reasoning item with encrypted content, when the request asked for it (include). */
  readonly reasoning: { readonly id: string; readonly encrypted: string } | null;
  readonly previousResponseId: string | null;
  readonly conversationId: string | null;
  readonly background: boolean;
  readonly input: readonly Item[];
}

export interface StoredResponse {
  readonly turn: ResponseTurn;
  /** The response object as GET answers it (rendered when the response is made). */
  readonly render: () => Record<string, unknown>;
  cancelled: boolean;
}

export interface StoredConversation {
  readonly id: string;
  readonly createdAt: number;
  metadata: Record<string, unknown>;
  readonly items: Item[];
}

export interface StoredFile {
  readonly id: string;
  readonly filename: string;
  readonly purpose: string;
  readonly createdAt: number;
  readonly content: Buffer;
}

export class RegionStore {
  readonly responses = new Bounded<StoredResponse>(STORED_LIMIT);
  readonly conversations = new Bounded<StoredConversation>(STORED_LIMIT);
  readonly files = new Bounded<StoredFile>(STORED_LIMIT);
  readonly batches = new Bounded<Record<string, unknown>>(STORED_LIMIT);
  /** Encrypted reasoning handed out here: another region cannot decrypt it. */
  readonly sealed = new Bounded<true>(STORED_LIMIT);
}

/** An opaque id as the service makes them: a prefix and random hex, nothing of the region. */
export function newId(prefix: string): string {
  return `${prefix}${randomBytes(24).toString('hex')}`;
}
