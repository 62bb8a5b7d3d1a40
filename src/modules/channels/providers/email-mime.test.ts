import { type ParsedMail, simpleParser } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SmtpSink, startSmtpSink } from '../../../../test/peers/smtp-sink.ts';
import type { OutgoingMessage, ProviderRuntime } from '../channel-types.ts';
import { listHeaders } from './email-headers.ts';
import { buildEmail, type MimeMessage, mimeSender } from './email-mime.ts';
import { smtpProvider } from './smtp.ts';

/**
 * The prebuilt campaign MIME (email-mime.ts) against nodemailer's composer, both read back by
 * mailparser: same subject, addresses, text, HTML, list headers and part structure, for the
 * messages that are hard to encode (emoji and accents in subject and display name, long lines,
 * `=` and dots at line starts, mostly non-Latin text) — and byte-level rules (CRLF, line lengths).
 */
const WORKSPACE = '00000000-0000-4000-8000-000000000001';
const CAMPAIGN = '11111111-1111-4111-8111-111111111111';
const FROM = { name: 'Clínica Dental Ñandú 🦷', address: 'hola@clinic.example' };
const UNSUBSCRIBE = `https://clinic.example/u/${'t0k3n'.repeat(30)}`;

const longLine = `Una línea muy larga con acentos — áéíóú — y más texto ${'palabra '.repeat(30)}fin.`;
const awkwardText = [
  'Hola Ana,',
  '.una línea que empieza por punto',
  '.',
  '..dos puntos',
  '=3D no es un escape, = tampoco, ni =?utf-8?q?esto?=',
  'From the start of a line',
  `${'x'.repeat(200)}`,
  longLine,
  'espacio al final   ',
  'tab al final\t',
  '',
  '¡Hasta pronto! 🎉',
].join('\n');
const awkwardHtml = `<html><body><p style="color:#333;font-family:Arial,sans-serif">Hola <b>Ana</b> 😀 — ${'<a href="https://clinic.example/t/c/abcdef0123456789?u=https%3A%2F%2Fclinic.example%2Fspring">oferta</a> '.repeat(5)}</p>\n<p>.punto al inicio</p>\n.\n<p>a=b ==c</p>${'<span>y</span>'.repeat(40)}</body></html>`;

const cases: Record<string, MimeMessage> = {
  'emoji and accents everywhere, long lines, dots and =': {
    to: 'ana.garcia+spring@example.com',
    subject: '¡Hola Ana! 🎉 Ofertas de primavera en la Clínica Ñandú — sólo esta semana, con descuentos',
    text: awkwardText,
    html: awkwardHtml,
    headers: {},
  },
  'plain ASCII, short lines (7bit)': {
    to: 'bob@example.com',
    subject: 'Spring news',
    text: 'Hi Bob,\nsee you soon.\n',
    html: '<p>Hi Bob,</p>\n<p>see you soon.</p>',
    headers: {},
  },
  'mostly non-Latin text (base64)': {
    to: 'yuki@example.jp',
    subject: '春のお知らせ — クリニック',
    text: `こんにちは、ゆきさん。\n${'春のキャンペーンのお知らせです。'.repeat(12)}`,
    html: `<p>${'こんにちは、ゆきさん。春のキャンペーン。'.repeat(10)}</p>`,
    headers: {},
  },
  'text only, no HTML part': {
    to: 'carla@example.com',
    subject: 'Recordatorio: su cita del lunes',
    text: `Hola Carla,\n${longLine}\n.\n=`,
    headers: {},
  },
  'a long ASCII subject (folded)': {
    to: 'dan@example.com',
    subject: `A very long subject line ${'that keeps going '.repeat(8)}until the end`,
    text: 'Hello',
    html: '<p>Hello</p>',
    headers: {},
  },
};

function marketingHeaders(to: string): Record<string, string> {
  return listHeaders(
    {
      channel: 'email',
      to,
      text: '',
      marketing: true,
      unsubscribeUrl: UNSUBSCRIBE,
      workspaceId: WORKSPACE,
      campaignId: CAMPAIGN,
    },
    FROM.address,
  );
}

async function nodemailerMessage(message: MimeMessage, replyTo?: string): Promise<Buffer> {
  return new MailComposer({
    from: FROM,
    to: message.to,
    ...(replyTo ? { replyTo } : {}),
    subject: message.subject,
    text: message.text,
    ...(message.html !== undefined ? { html: message.html } : {}),
    headers: message.headers,
  })
    .compile()
    .build();
}

/** A header's value as written (unfolded), by its lower-case name. */
function headerValue(mail: ParsedMail, name: string): string | undefined {
  const line = mail.headerLines.find((l) => l.key === name)?.line;
  return line
    ?.slice(line.indexOf(':') + 1)
    .replace(/\r?\n[ \t]+/g, ' ')
    .trim();
}

/** What a reader of the message sees: everything but the random parts (Message-ID, Date, boundary). */
function readable(mail: ParsedMail) {
  return {
    subject: mail.subject,
    from: mail.from?.value,
    to: Array.isArray(mail.to) ? mail.to.flatMap((t) => t.value) : mail.to?.value,
    replyTo: mail.replyTo?.value,
    text: mail.text,
    html: mail.html,
    attachments: mail.attachments.length,
    contentType: (mail.headers.get('content-type') as { value: string } | undefined)?.value,
    mimeVersion: headerValue(mail, 'mime-version'),
    // mailparser's reading of the List-* headers (RFC 2369/2919), and the headers as written.
    list: mail.headers.get('list'),
    listId: headerValue(mail, 'list-id'),
    listUnsubscribe: headerValue(mail, 'list-unsubscribe'),
    listUnsubscribePost: headerValue(mail, 'list-unsubscribe-post'),
  };
}

/** The Content-Transfer-Encoding of each part, in order. */
const transferEncodings = (raw: string) =>
  [...raw.matchAll(/^Content-Transfer-Encoding: (.+)$/gim)].map((m) => m[1]!.trim().toLowerCase());

describe('prebuilt campaign MIME', () => {
  for (const [name, input] of Object.entries(cases)) {
    it(`reads back as nodemailer's message: ${name}`, async () => {
      const message = { ...input, headers: marketingHeaders(input.to) };
      const sender = mimeSender(FROM, 'desk@clinic.example');
      const built = buildEmail(sender, message);
      expect(built).not.toBeNull();
      const ours = await simpleParser(built!.raw);
      const theirs = await simpleParser(await nodemailerMessage(message, 'desk@clinic.example'));
      expect(readable(ours)).toEqual(readable(theirs));
      // Not only equal to each other: equal to what was given.
      expect(ours.subject).toBe(message.subject);
      expect(ours.from?.value).toEqual([{ name: FROM.name, address: FROM.address }]);
      expect(ours.text?.replace(/\n$/, '')).toBe(message.text.replace(/\n$/, ''));
      if (message.html !== undefined) expect(ours.html).toBe(message.html);
      else expect(ours.html).toBe(false);
      expect(headerValue(ours, 'list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
      expect(headerValue(ours, 'list-unsubscribe')).toBe(`<${UNSUBSCRIBE}>`);
      expect(headerValue(ours, 'list-id')).toBe(`<${CAMPAIGN}.${WORKSPACE}.clinic.example>`);
      expect(headerValue(ours, 'reply-to')).toBe('desk@clinic.example');
      expect(ours.messageId).toBe(built!.messageId);
      expect(ours.date?.getTime()).toBeGreaterThan(Date.now() - 60_000);
      // The same transfer encodings nodemailer picks for these parts.
      const raw = built!.raw.toString('utf8');
      expect(transferEncodings(raw)).toEqual(
        transferEncodings((await nodemailerMessage(message)).toString('utf8')),
      );
      // Byte rules: CRLF line ends only, 7-bit headers, body lines within 76 unless 7bit-short already.
      expect(raw).not.toMatch(/[^\r]\n|\r[^\n]/);
      expect(raw.endsWith('\r\n')).toBe(true);
      const [head, ...body] = raw.split('\r\n\r\n');
      expect(head).toMatch(/^[\x20-\x7e\r\n\t]*$/);
      for (const line of head!.split('\r\n')) {
        // A header line folds at spaces; only an unbreakable token (a URL, the List-ID) runs past 78.
        expect(line.length).toBeLessThanOrEqual(998);
        if (line.length > 78) expect(line.replace(/^[\w-]+: /, '').trim()).not.toMatch(/\s/);
      }
      for (const line of body.join('\r\n\r\n').split('\r\n')) expect(line.length).toBeLessThanOrEqual(76);
    });
  }

  it('leaves to nodemailer what only its composer does (a non-ASCII recipient address)', () => {
    const sender = mimeSender(FROM);
    expect(
      buildEmail(sender, { to: 'josé@correo.example', subject: 's', text: 't', headers: {} }),
    ).toBeNull();
    expect(buildEmail(sender, { to: 'ana@ñandú.example', subject: 's', text: 't', headers: {} })).toBeNull();
    expect(
      buildEmail(sender, { to: 'ana@example.com', subject: 's', text: 't', headers: {} }),
    ).not.toBeNull();
  });

  it('gives each message its own Message-ID and multipart boundary', () => {
    const sender = mimeSender(FROM);
    const one = buildEmail(sender, { ...cases['plain ASCII, short lines (7bit)']!, headers: {} })!;
    const two = buildEmail(sender, { ...cases['plain ASCII, short lines (7bit)']!, headers: {} })!;
    expect(one.messageId).not.toBe(two.messageId);
    expect(one.messageId).toMatch(/^<[0-9a-f-]{36}@clinic\.example>$/);
    const boundary = (raw: Buffer) => /boundary="([^"]+)"/.exec(raw.toString())![1];
    expect(boundary(one.raw)).not.toBe(boundary(two.raw));
  });
});

describe('the SMTP provider sends the prebuilt MIME', () => {
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink();
  });
  afterAll(async () => {
    smtpProvider.release?.('mime-smtp');
    await sink.close();
  });

  it('to a real SMTP server: the message nodemailer would have sent, dots and all', async () => {
    const runtime: ProviderRuntime = {
      channelId: 'mime-smtp',
      settings: {
        host: sink.host,
        port: sink.port,
        secure: false,
        from_email: FROM.address,
        from_name: FROM.name,
        reply_to: 'desk@clinic.example',
      },
      publicUrl: null,
      timeoutMs: 5_000,
    };
    const input = cases['emoji and accents everywhere, long lines, dots and =']!;
    const outgoing: OutgoingMessage = {
      channel: 'email',
      to: input.to,
      subject: input.subject,
      text: input.text,
      html: input.html,
      marketing: true,
      unsubscribeUrl: UNSUBSCRIBE,
      workspaceId: WORKSPACE,
      campaignId: CAMPAIGN,
    };
    const before = sink.messages.length;
    const result = await smtpProvider.send(runtime, outgoing);
    expect(result.status).toBe('sent');
    const [mail] = (await sink.waitFor(before + 1)).slice(before);
    expect(mail!.from).toBe(FROM.address);
    expect(mail!.to).toEqual([input.to]);
    const received = await simpleParser(mail!.raw);
    expect(received.messageId).toBe((result as { providerMessageId: string }).providerMessageId);
    const expected = await simpleParser(
      await nodemailerMessage({ ...input, headers: marketingHeaders(input.to) }, 'desk@clinic.example'),
    );
    expect(readable(received)).toEqual(readable(expected));
    // The relay got the leading dots stuffed and gave them back unstuffed.
    expect(received.text).toContain('\n.una línea que empieza por punto\n.\n..dos puntos\n');
  });
});
