// The demo's conversation: a few Responses turns chained by previous_response_id,
// sent through the router like any client would, with a handful of chat completions
// beside each turn. The chat requests spread over the fleet; every turn of the
// conversation goes to the one region that stores it. One log line per turn shows both.
import type { Logger } from 'pino';

const DEPLOYMENT = 'chat-global';

interface Sent {
  readonly status: number;
  readonly region: string | null;
  readonly body: Record<string, unknown>;
}

async function post(url: string, body: object): Promise<Sent> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    region: res.headers.get('x-switchyard-region'),
    body: (await res.json()) as Record<string, unknown>,
  };
}

/**
 * Runs `turns` turns against the router at `dataUrl`, logging each. Stops quietly when
 * the router goes away (the demo is stopping).
 */
export async function showConversation(dataUrl: string, logger: Logger, turns = 6, chatsPerTurn = 7): Promise<void> {
  let previous: string | null = null;
  let home: string | null = null;
  const chatRegions = new Set<string>();
  try {
    for (let turn = 1; turn <= turns; turn++) {
      const chats = Array.from({ length: chatsPerTurn }, () =>
        post(`${dataUrl}/v1/chat/completions`, {
          model: DEPLOYMENT,
          messages: [{ role: 'user', content: 'hi' }],
          max_tokens: 2,
        }),
      );
      const answer = await post(`${dataUrl}/v1/responses`, {
        model: DEPLOYMENT,
        input: `turn ${turn}`,
        max_output_tokens: 2,
        ...(previous === null ? {} : { previous_response_id: previous }),
      });
      const spread = (await Promise.all(chats)).map((c) => c.region ?? String(c.status));
      for (const r of spread) chatRegions.add(r);
      if (answer.status !== 200 || typeof answer.body.id !== 'string') {
        logger.warn({ turn, status: answer.status, error: answer.body.error }, 'conversation turn failed');
        return;
      }
      home ??= answer.region;
      previous = answer.body.id;
      logger.info(
        { turn, response: previous, region: answer.region, chatRegions: [...new Set(spread)].sort() },
        'conversation turn',
      );
    }
    logger.info(
      { turns, region: home, chatRegions: [...chatRegions].sort() },
      'conversation kept its home region while chat spread over the fleet',
    );
  } catch {
    // The router or the fleet is stopping.
  }
}
