import type { DbOrTx } from '../../platform/db/db.ts';
import { smsLength } from '../channels/sms-length.ts';
import type { MessageChannel } from '../deliveries/audience.ts';
import { getTemplateRow } from '../templates/templates.service.ts';
import { type CampaignContent, contentVariants, type SingleContent } from './campaigns.ab.ts';

/**
 * What messages cost: prices per channel from the campaign settings, the estimate before sending
 * (eligible recipients × unit price, SMS by their segments) and the actual after (messages the
 * provider accepted × the same prices).
 */

export const WHATSAPP_CATEGORIES = ['marketing', 'utility', 'authentication', 'service'] as const;
export type WhatsappCategory = (typeof WHATSAPP_CATEGORIES)[number];

export interface Prices {
  /** ISO 4217, e.g. EUR. */
  currency: string;
  email: number;
  sms_segment: number;
  whatsapp: Record<WhatsappCategory, number>;
}

export interface CostLine {
  channel: MessageChannel;
  messages: number;
  /** SMS only: segments per message (of the longest variant), multiplied into the units. */
  segments_per_message: number | null;
  /** What is billed: messages, or SMS segments. */
  units: number;
  unit_price: number;
  /** WhatsApp only: the category billed. */
  whatsapp_category: WhatsappCategory | null;
  amount: number;
}

export interface Cost {
  currency: string;
  total: number;
  lines: CostLine[];
}

// A variable's value is unknown before rendering: counted as this many characters.
const VARIABLE_WIDTH = 12;

/** Segments of the SMS body (variables as 12 characters; the longest variant when there are several). */
export async function smsSegmentsPerMessage(
  db: DbOrTx,
  workspaceId: string,
  content: CampaignContent,
): Promise<number> {
  let worst = 1;
  for (const variant of contentVariants(content)) {
    const body = await bodyOf(db, workspaceId, variant);
    const sample = body.replace(/\{\{[^}]*\}\}/g, 'x'.repeat(VARIABLE_WIDTH)).replace(/\{%[^%]*%\}/g, '');
    worst = Math.max(worst, smsLength(sample).segments);
  }
  return worst;
}

async function bodyOf(db: DbOrTx, workspaceId: string, content: SingleContent): Promise<string> {
  if (!('template_id' in content)) return content.body;
  const template = await getTemplateRow(db, workspaceId, content.template_id);
  return (template as { body?: string | null }).body ?? '';
}

/** Marketing WhatsApp messages are billed as marketing conversations, the others as utility. */
export function whatsappCategoryOf(marketing: boolean): WhatsappCategory {
  return marketing ? 'marketing' : 'utility';
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;

/** The cost of `messages` per channel at `prices` (null prices: no figure). */
export function costOf(
  prices: Prices | null,
  messages: Partial<Record<MessageChannel, number>>,
  options: { smsSegments: number; marketing: boolean },
): Cost | null {
  if (!prices) return null;
  const lines: CostLine[] = [];
  for (const channel of ['email', 'sms', 'whatsapp'] as const) {
    const count = messages[channel] ?? 0;
    if (!count) continue;
    const category = channel === 'whatsapp' ? whatsappCategoryOf(options.marketing) : null;
    const unitPrice =
      channel === 'email'
        ? prices.email
        : channel === 'sms'
          ? prices.sms_segment
          : prices.whatsapp[category!];
    const units = channel === 'sms' ? count * options.smsSegments : count;
    lines.push({
      channel,
      messages: count,
      segments_per_message: channel === 'sms' ? options.smsSegments : null,
      units,
      unit_price: unitPrice,
      whatsapp_category: category,
      amount: round(units * unitPrice),
    });
  }
  return { currency: prices.currency, total: round(lines.reduce((sum, l) => sum + l.amount, 0)), lines };
}
