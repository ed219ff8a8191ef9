// The clients' own retries, as the OpenAI SDKs make them: 429, 408, 409, 5xx and lost
// connections are retried after Retry-After (or retry-after-ms) when the answer has
// one, else after 0.5 s doubling up to 8 s, less up to 25% jitter.
import type { ClientModel } from '../types.js';

/** The SDKs' default: two retries. */
export const SDK_CLIENTS: ClientModel = { maxRetries: 2, label: 'SDK defaults (2 retries)' };

/** Batch workflows that raise the SDK's retries to push their backlog through. */
export const WORKFLOW_CLIENTS: ClientModel = { maxRetries: 5, label: 'workflow clients (SDK backoff, 5 retries)' };
