import { randomBytes } from 'node:crypto';
import { type Fault, type HttpPeer, postWebhook, startHttpPeer } from './http-peer.ts';

/**
 * A fake Evolution API (v2): POST /message/sendText/{instance} with the `apikey` header, and
 * webhooks (messages.upsert, messages.update) carrying the api key like Evolution does.
 */
export interface EvolutionPeer extends HttpPeer {
  apiKey: string;
  instance: string;
  sent: Array<{ id: string; number: string; text: string }>;
  sendStatus(
    url: string,
    id: string,
    status: string,
    apiKey?: string,
  ): Promise<{ status: number; text: string }>;
  sendInbound(
    url: string,
    from: string,
    text: string,
    apiKey?: string,
  ): Promise<{ status: number; text: string }>;
}

export function evolutionError(httpStatus: number, message: string): Fault {
  return {
    status: httpStatus,
    body: {
      status: httpStatus,
      error: httpStatus === 400 ? 'Bad Request' : 'Error',
      response: { message: [message] },
    },
  };
}

export async function startEvolutionPeer(
  options: { apiKey?: string; instance?: string } = {},
): Promise<EvolutionPeer> {
  const apiKey = options.apiKey ?? randomBytes(12).toString('hex');
  const instance = options.instance ?? 'clinic';
  const sent: EvolutionPeer['sent'] = [];
  const peer = await startHttpPeer((request) => {
    if (request.headers.apikey !== apiKey)
      return evolutionError(401, 'Unauthorized') as { status: number; body: unknown };
    if (request.method === 'POST' && request.path === `/message/sendText/${instance}`) {
      const body = JSON.parse(request.raw.toString('utf8')) as { number?: string; text?: string };
      if (!body.number || !/^\d{8,15}$/.test(body.number))
        return evolutionError(400, 'Invalid number') as { status: number; body: unknown };
      const id = `BAE5${randomBytes(6).toString('hex').toUpperCase()}`;
      sent.push({ id, number: body.number, text: body.text ?? '' });
      return {
        status: 201,
        body: {
          key: { remoteJid: `${body.number}@s.whatsapp.net`, fromMe: true, id },
          message: { conversation: body.text },
          messageTimestamp: String(Math.floor(Date.now() / 1000)),
          status: 'PENDING',
        },
      };
    }
    return evolutionError(404, `Cannot ${request.method} ${request.path}`) as {
      status: number;
      body: unknown;
    };
  });
  const post = (url: string, payload: Record<string, unknown>, key: string) =>
    postWebhook(
      url,
      JSON.stringify({ ...payload, instance, apikey: key, date_time: new Date().toISOString() }),
      {
        'content-type': 'application/json',
        apikey: key,
      },
    );
  return {
    ...peer,
    apiKey,
    instance,
    sent,
    sendStatus: (url, id, status, key = apiKey) =>
      post(
        url,
        {
          event: 'messages.update',
          data: { keyId: id, remoteJid: 'x@s.whatsapp.net', fromMe: true, status },
        },
        key,
      ),
    sendInbound: (url, from, text, key = apiKey) =>
      post(
        url,
        {
          event: 'messages.upsert',
          data: {
            key: {
              remoteJid: `${from.replace(/^\+/, '')}@s.whatsapp.net`,
              fromMe: false,
              id: `3EB0${randomBytes(8).toString('hex').toUpperCase()}`,
            },
            pushName: 'Client',
            message: { conversation: text },
            messageType: 'conversation',
            messageTimestamp: Math.floor(Date.now() / 1000),
          },
        },
        key,
      ),
  };
}
