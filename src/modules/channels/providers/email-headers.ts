import type { OutgoingMessage } from '../channel-types.ts';

/**
 * Headers every marketing email carries (RFC 2369 List-Unsubscribe, RFC 8058 one-click POST,
 * RFC 2919 List-Id). The same function feeds SMTP and the Outbox, so what the Outbox shows is
 * what a relay would get.
 */
export function listHeaders(message: OutgoingMessage, fromEmail: string): Record<string, string> {
  const headers: Record<string, string> = {};
  if (!message.marketing) return headers;
  const domain = fromEmail.split('@')[1] || 'clientela.invalid';
  const listId = message.listId ?? `${message.campaignId ?? 'marketing'}.${message.workspaceId}.${domain}`;
  headers['List-Id'] = listId.includes('<') ? listId : `<${listId}>`;
  if (message.unsubscribeUrl) {
    headers['List-Unsubscribe'] = `<${message.unsubscribeUrl}>`;
    headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
  }
  return headers;
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * RFC 8058 wants an https URL for one-click unsubscribe; plain http is let through for a server
 * on localhost only (development, tests). Returns the problem, or null when fine.
 */
export function unsubscribeUrlProblem(message: OutgoingMessage): string | null {
  if (message.channel !== 'email' || !message.marketing) return null;
  if (!message.unsubscribeUrl) return 'A marketing email needs an unsubscribe URL (List-Unsubscribe)';
  let url: URL;
  try {
    url = new URL(message.unsubscribeUrl);
  } catch {
    return 'The unsubscribe URL is not a valid URL';
  }
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname)) return null;
  return 'The unsubscribe URL must be https (RFC 8058)';
}
