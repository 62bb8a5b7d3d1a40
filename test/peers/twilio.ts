import { createHmac, randomBytes } from 'node:crypto';
import { type Fault, type HttpPeer, postWebhook, startHttpPeer } from './http-peer.ts';

/**
 * A fake Twilio Messages API: form-encoded POST with basic auth, answers like Twilio, and posts
 * StatusCallback and inbound webhooks signed with X-Twilio-Signature (HMAC-SHA1 of URL + sorted
 * params, https://www.twilio.com/docs/usage/security).
 */
export interface TwilioPeer extends HttpPeer {
  accountSid: string;
  authToken: string;
  sent: Array<{ sid: string; params: Record<string, string> }>;
  /** Posts the status callback Twilio would send for a message it accepted. */
  sendStatus(sid: string, status: string, errorCode?: string): Promise<{ status: number; text: string }>;
  sendInbound(
    url: string,
    from: string,
    body: string,
    sid?: string,
  ): Promise<{ status: number; text: string }>;
  /** Signs and posts any form to any URL (or with a forged `signature`). */
  post(
    url: string,
    params: Record<string, string>,
    signature?: string | null,
  ): Promise<{ status: number; text: string }>;
}

export function twilioError(code: number, message: string, httpStatus = 400): Fault {
  return {
    status: httpStatus,
    body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status: httpStatus },
  };
}

export function signTwilio(authToken: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
  return createHmac('sha1', authToken).update(data).digest('base64');
}

export async function startTwilioPeer(
  options: { accountSid?: string; authToken?: string } = {},
): Promise<TwilioPeer> {
  const accountSid = options.accountSid ?? `AC${randomBytes(16).toString('hex')}`;
  const authToken = options.authToken ?? randomBytes(16).toString('hex');
  const sent: TwilioPeer['sent'] = [];
  const peer = await startHttpPeer((request) => {
    const expected = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
    if (request.headers.authorization !== expected)
      return twilioError(20003, 'Authentication Error - invalid username', 401) as {
        status: number;
        body: unknown;
      };
    if (request.method === 'POST' && request.path === `/2010-04-01/Accounts/${accountSid}/Messages.json`) {
      const params = Object.fromEntries(new URLSearchParams(request.raw.toString('utf8')));
      if (!params.To)
        return twilioError(21604, "A 'To' phone number is required.") as { status: number; body: unknown };
      if (!params.Body && !params.ContentSid)
        return twilioError(21602, 'Message body is required.') as { status: number; body: unknown };
      const sid = `SM${randomBytes(16).toString('hex')}`;
      sent.push({ sid, params });
      return {
        status: 201,
        body: {
          sid,
          account_sid: accountSid,
          to: params.To,
          from: params.From ?? null,
          messaging_service_sid: params.MessagingServiceSid ?? null,
          body: params.Body ?? '',
          status: 'queued',
          num_segments: '1',
          error_code: null,
          date_created: new Date().toUTCString(),
          uri: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json`,
        },
      };
    }
    return twilioError(20404, 'The requested resource was not found', 404) as {
      status: number;
      body: unknown;
    };
  });
  const post = (url: string, params: Record<string, string>, signature?: string | null) => {
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    const value = signature === undefined ? signTwilio(authToken, url, params) : signature;
    if (value !== null) headers['x-twilio-signature'] = value;
    return postWebhook(url, new URLSearchParams(params).toString(), headers);
  };
  return {
    ...peer,
    accountSid,
    authToken,
    sent,
    post,
    sendStatus(sid, status, errorCode) {
      const message = sent.find((m) => m.sid === sid);
      if (!message?.params.StatusCallback) throw new Error(`Twilio peer: no StatusCallback for ${sid}`);
      return post(message.params.StatusCallback, {
        AccountSid: accountSid,
        ApiVersion: '2010-04-01',
        From: message.params.From ?? '',
        MessageSid: sid,
        MessageStatus: status,
        SmsSid: sid,
        SmsStatus: status,
        To: message.params.To ?? '',
        ...(errorCode ? { ErrorCode: errorCode } : {}),
      });
    },
    sendInbound: (url, from, body, sid) =>
      post(url, {
        AccountSid: accountSid,
        ApiVersion: '2010-04-01',
        Body: body,
        From: from,
        MessageSid: sid ?? `SM${randomBytes(16).toString('hex')}`,
        NumMedia: '0',
        NumSegments: '1',
        SmsStatus: 'received',
        To: '+15005550006',
      }),
  };
}
