import { randomUUID } from 'node:crypto';
import { foldLines, isPlainText } from 'nodemailer/lib/mime-funcs';
import MimeNode from 'nodemailer/lib/mime-node';
import { encodeQuotedPrintable } from './quoted-printable.ts';

/**
 * A campaign email as RFC 5322 bytes, built without nodemailer's per-message stream machinery.
 *
 * nodemailer's `sendMail` builds a tree of MIME nodes and pipes every part through transform
 * streams for each message; in a campaign that was the largest single CPU cost of a send. Here the
 * headers that are the same for every message of a channel (From, Reply-To) are encoded once, and
 * each message is a few string joins: its own To, Subject, list headers, Message-ID and Date, and
 * its text and HTML parts in the transfer encoding nodemailer would choose for them (7bit when
 * plain ASCII with short lines, else quoted-printable, or base64 for mostly non-Latin text), with
 * nodemailer's encoders for headers (RFC 2047 words, line folding) and our own one-pass
 * quoted-printable (quoted-printable.ts). The bytes are then
 * handed to the same pooled transport as a `raw` message, which still dot-stuffs and DKIM-signs.
 */

/** What is the same for every message through one channel. */
export interface MimeSender {
  /** Envelope sender and the domain of Message-IDs. */
  fromEmail: string;
  /** The encoded header lines of the channel (From, Reply-To), CRLF-terminated. */
  lines: string;
  messageIdDomain: string;
}

export interface MimeMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
  headers: Record<string, string>;
}

export function mimeSender(from: { name?: string; address: string }, replyTo?: string): MimeSender {
  const header = (key: string, value: string | { name: string; address: string }) =>
    `${foldLines(`${key}: ${MimeNode.encodeHeaderValue(key, value)}`, 76)}\r\n`;
  const domain = from.address.split('@')[1] || 'localhost';
  return {
    fromEmail: from.address,
    lines:
      header('From', from.name ? { name: from.name, address: from.address } : from.address) +
      (replyTo ? header('Reply-To', replyTo) : ''),
    messageIdDomain: domain,
  };
}

// Printable ASCII only (no control characters, no 8-bit): goes into a header as it is.
const PLAIN_HEADER = /^[\x20-\x7e]*$/;
// An address nodemailer would write as it is: ASCII, no spaces, quotes, brackets or commas.
const PLAIN_ADDRESS = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+$/;

function headerLine(key: string, value: string): string {
  const line = `${key}: ${value}`;
  return `${line.length > 76 ? foldLines(line, 76) : line}\r\n`;
}

/** An unstructured header value as nodemailer encodes it: RFC 2047 words where not plain ASCII. */
function unstructured(key: string, value: string): string {
  if (PLAIN_HEADER.test(value) && !value.includes('=?')) return headerLine(key, value);
  return headerLine(key, MimeNode.encodeHeaderValue(key, value));
}

/** nodemailer's choice between Q and B: quoted-printable while Latin letters outnumber the rest. */
function prefersQuotedPrintable(value: string): boolean {
  let nonLatin = 0;
  let latin = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code <= 0x08 || code === 0x0b || code === 0x0c || (code >= 0x0e && code <= 0x1f) || code >= 0x80)
      nonLatin++;
    else if ((code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a)) latin++;
  }
  return nonLatin < latin;
}

const LONG_LINE = /^.{77,}/m;

/** One text part: its Content-Transfer-Encoding and its encoded lines (CRLF line ends). */
function bodyPart(content: string): { encoding: string; body: string } {
  const crlf = () => content.replace(/\r?\n|\r/g, '\r\n');
  // nodemailer counts any text over 128 kB as having long lines.
  if (isPlainText(content) && content.length <= 128 * 1024 && !LONG_LINE.test(content))
    return { encoding: '7bit', body: crlf() };
  if (prefersQuotedPrintable(content))
    return { encoding: 'quoted-printable', body: encodeQuotedPrintable(content) };
  const base64 = Buffer.from(crlf(), 'utf8').toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < base64.length; i += 76) lines.push(base64.slice(i, i + 76));
  return { encoding: 'base64', body: lines.join('\r\n') };
}

function part(contentType: string, content: string): string {
  const { encoding, body } = bodyPart(content);
  return `Content-Type: ${contentType}; charset=utf-8\r\nContent-Transfer-Encoding: ${encoding}\r\n\r\n${body}`;
}

let dateSecond = 0;
let dateHeader = '';
/** RFC 5322 date, as nodemailer writes it (`+0000`); the same string for a whole second. */
function dateLine(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateHeader = `Date: ${new Date(now).toUTCString().replace(/GMT$/, '+0000')}\r\n`;
  }
  return dateHeader;
}

/**
 * The message's bytes and its Message-ID, or null when the message needs what only nodemailer's
 * full composer does (a recipient address that is not plain ASCII: IDN domains, quoted names).
 */
export function buildEmail(
  sender: MimeSender,
  message: MimeMessage,
): { raw: Buffer; messageId: string } | null {
  if (!PLAIN_ADDRESS.test(message.to)) return null;
  const messageId = `<${randomUUID()}@${sender.messageIdDomain}>`;
  let head = '';
  for (const key in message.headers) head += unstructured(key, message.headers[key]!);
  head += sender.lines;
  head += `To: ${message.to}\r\n`;
  head += unstructured('Subject', message.subject);
  head += `Message-ID: ${messageId}\r\n`;
  head += dateLine();
  head += 'MIME-Version: 1.0\r\n';
  let raw: string;
  if (message.html === undefined) {
    raw = `${head}${part('text/plain', message.text)}\r\n`;
  } else {
    const boundary = `--_NmP-${randomUUID().replaceAll('-', '').slice(0, 16)}-Part_1`;
    raw =
      `${head}Content-Type: multipart/alternative;\r\n boundary="${boundary}"\r\n\r\n` +
      `--${boundary}\r\n${part('text/plain', message.text)}\r\n` +
      `--${boundary}\r\n${part('text/html', message.html)}\r\n` +
      `--${boundary}--\r\n`;
  }
  return { raw: Buffer.from(raw, 'utf8'), messageId };
}
