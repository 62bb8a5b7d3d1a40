import type { Template } from 'liquidjs';
import type { WorkspaceContext } from '../../platform/auth/context.ts';
import { getUser } from '../../platform/auth/users.ts';
import type { SecretBox } from '../../platform/crypto.ts';
import type { Database, DbOrTx } from '../../platform/db/db.ts';
import { AppError, type ErrorDetail } from '../../platform/errors.ts';
import { iso } from '../../platform/http/json.ts';
import { LOCALES, type Locale } from '../../platform/locale.ts';
import { diff, recordAudit } from '../audit/audit.service.ts';
import { type ClientRow, getClientRow, getClientRows } from '../clients/clients.service.ts';
import { getLocation } from '../locations/locations.service.ts';
import { preferencesUrl, unsubscribeToken, unsubscribeUrl } from '../preferences/preferences.links.ts';
import { tagNamesOfClients } from '../tags/tags.service.ts';
import { clickUrl, openPixelUrl } from '../tracking/tracking.links.ts';
import { getWorkspace, type Workspace } from '../workspaces/workspaces.service.ts';
import { addTracking, emailText, inlineContentCss, layoutEmail } from './email-layout.ts';
import { checkTemplate, renderTemplate } from './liquid.ts';
import { type SmsLength, smsLength } from './sms.ts';
import {
  countTemplateUse,
  deleteTemplateRow,
  findTemplate,
  insertTemplate,
  listTemplateRows,
  type TemplateRow,
  type TemplateWrite,
  updateTemplateRow,
} from './templates.repo.ts';
import type { WhatsappTemplateRef } from './templates.schema.ts';

export const TEMPLATE_CHANNELS = ['email', 'sms', 'whatsapp'] as const;
export type TemplateChannel = (typeof TEMPLATE_CHANNELS)[number];
export const TEMPLATE_BODY_MAX = 100_000;
export const SUBJECT_MAX = 300;

export interface TemplateInput {
  name?: string;
  channel?: TemplateChannel;
  subject?: string | null;
  body?: string;
  objective?: string | null;
  marketing?: boolean;
  whatsapp_template?: WhatsappTemplateRef | null;
}

export function toTemplateJson(row: TemplateRow) {
  return {
    id: row.id,
    name: row.name,
    channel: row.channel as TemplateChannel,
    subject: row.subject,
    body: row.body,
    objective: row.objective,
    marketing: row.marketing,
    whatsapp_template: row.whatsappTemplate ?? null,
    usage_count: row.usageCount,
    last_used_at: row.lastUsedAt ? iso(row.lastUsedAt) : null,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

const AUDITED = ['name', 'channel', 'subject', 'objective', 'marketing', 'whatsapp_template'] as const;

const PARAMETER_LISTS = ['body_parameters', 'header_parameters', 'button_parameters'] as const;

/** Every problem of a whole template (after applying a patch), with line and column inside bodies. */
function checkContent(content: {
  channel: TemplateChannel;
  subject: string | null;
  body: string;
  whatsappTemplate: WhatsappTemplateRef | null;
}): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  if (!content.body.trim()) problems.push({ path: '/body', message: 'must not be empty' });
  else problems.push(...checkTemplate(content.body, '/body', { html: content.channel === 'email' }).problems);
  if (content.channel === 'email') {
    if (!content.subject?.trim()) problems.push({ path: '/subject', message: 'an email needs a subject' });
    else problems.push(...checkTemplate(content.subject, '/subject', { html: false }).problems);
  }
  const ref = content.whatsappTemplate;
  if (ref) {
    if (content.channel !== 'whatsapp')
      problems.push({
        path: '/whatsapp_template',
        message: 'only WhatsApp templates refer to a provider template',
      });
    if (!ref.content_sid && !(ref.name && ref.language))
      problems.push({
        path: '/whatsapp_template',
        message: 'needs name and language (Meta) or content_sid (Twilio)',
      });
    for (const list of PARAMETER_LISTS) {
      (ref[list] ?? []).forEach((variable, index) => {
        const path = `/whatsapp_template/${list}/${index}`;
        for (const problem of checkTemplate(`{{ ${variable} }}`, path, { html: false }).problems)
          problems.push({ path, message: problem.message });
      });
    }
  }
  return problems;
}

function validateInput(input: TemplateInput, before: TemplateRow | null): TemplateWrite {
  const problems: ErrorDetail[] = [];
  const patch: TemplateWrite = {};
  if (input.name !== undefined || !before) {
    const name = (input.name ?? '').trim();
    if (!name) problems.push({ path: '/name', message: 'must not be empty' });
    patch.name = name;
  }
  if (input.channel !== undefined) {
    if (!(TEMPLATE_CHANNELS as readonly string[]).includes(input.channel))
      problems.push({ path: '/channel', message: `must be one of ${TEMPLATE_CHANNELS.join(', ')}` });
    patch.channel = input.channel;
  } else if (!before) problems.push({ path: '/channel', message: 'is required' });
  if (input.subject !== undefined) patch.subject = input.subject?.trim() ? input.subject : null;
  if (input.body !== undefined) patch.body = input.body;
  if (input.objective !== undefined) patch.objective = input.objective?.trim() || null;
  if (input.marketing !== undefined) patch.marketing = input.marketing;
  if (input.whatsapp_template !== undefined) patch.whatsappTemplate = input.whatsapp_template;
  if (problems.length) throw AppError.validation(problems);
  const channel = (patch.channel ?? before?.channel) as TemplateChannel;
  const whole = {
    channel,
    subject: patch.subject !== undefined ? patch.subject : (before?.subject ?? null),
    body: patch.body ?? before?.body ?? '',
    whatsappTemplate:
      patch.whatsappTemplate !== undefined ? patch.whatsappTemplate : (before?.whatsappTemplate ?? null),
  };
  // Only email has a subject; switching a template to SMS drops it rather than keeping a stale one.
  if (channel !== 'email' && whole.subject !== null) patch.subject = null;
  const contentProblems = checkContent({ ...whole, subject: channel === 'email' ? whole.subject : null });
  if (contentProblems.length)
    throw AppError.validation(
      contentProblems,
      'The template has mistakes; each one names its line and column',
    );
  return patch;
}

export async function listTemplates(db: DbOrTx, workspaceId: string, channel?: TemplateChannel) {
  return (await listTemplateRows(db, workspaceId, channel)).map(toTemplateJson);
}

export async function getTemplateRow(db: DbOrTx, workspaceId: string, id: string): Promise<TemplateRow> {
  const row = await findTemplate(db, workspaceId, id);
  if (!row) throw AppError.notFound('Template');
  return row;
}

export async function createTemplate(db: Database, ctx: WorkspaceContext, input: TemplateInput) {
  const values = validateInput(input, null);
  return db.transaction(async (tx) => {
    const row = await insertTemplate(tx, {
      ...values,
      workspaceId: ctx.workspaceId,
      name: values.name!,
      channel: values.channel!,
      body: values.body!,
    });
    await recordAudit(tx, ctx, {
      action: 'template.created',
      entityType: 'template',
      entityId: row.id,
      changes: diff(null, toTemplateJson(row), [...AUDITED]),
    });
    return toTemplateJson(row);
  });
}

export async function updateTemplate(db: Database, ctx: WorkspaceContext, id: string, input: TemplateInput) {
  return db.transaction(async (tx) => {
    const before = await getTemplateRow(tx, ctx.workspaceId, id);
    const patch = validateInput(input, before);
    const after = await updateTemplateRow(tx, ctx.workspaceId, id, patch);
    const changes = diff(toTemplateJson(before), toTemplateJson(after), [...AUDITED]);
    // The body may be long and may hold personal text: the audit keeps its length.
    if (before.body !== after.body)
      changes.body_length = { before: before.body.length, after: after.body.length };
    if (Object.keys(changes).length)
      await recordAudit(tx, ctx, {
        action: 'template.updated',
        entityType: 'template',
        entityId: id,
        changes,
      });
    return toTemplateJson(after);
  });
}

export async function deleteTemplate(db: Database, ctx: WorkspaceContext, id: string) {
  await db.transaction(async (tx) => {
    const before = await getTemplateRow(tx, ctx.workspaceId, id);
    await deleteTemplateRow(tx, ctx.workspaceId, id);
    await recordAudit(tx, ctx, {
      action: 'template.deleted',
      entityType: 'template',
      entityId: id,
      changes: diff(toTemplateJson(before), null, [...AUDITED]),
    });
  });
}

/** The campaign engine counts a template's use once per campaign run with the number of messages. */
export async function recordTemplateUse(
  db: DbOrTx,
  workspaceId: string,
  templateId: string,
  messages: number,
) {
  await countTemplateUse(db, workspaceId, templateId, messages, new Date());
}

// ---- rendering ------------------------------------------------------------------------------------

/** `2026-11-22T23:30:00+01:00`: the instant as the clock on the client's wall shows it. */
/** Building an Intl formatter is the costly part (it loads the zone's rules): one per zone, kept. */
const isoFormatters = new Map<string, Intl.DateTimeFormat>();
function isoFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = isoFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'longOffset',
    });
    isoFormatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The last instant formatted per zone: a campaign batch renders every client at the same `now`. */
const lastLocalIso = new Map<string, { ms: number; iso: string }>();

export function localIso(at: Date, timeZone: string): string {
  const ms = at.getTime();
  const last = lastLocalIso.get(timeZone);
  if (last?.ms === ms) return last.iso;
  const iso = formatLocalIso(at, timeZone);
  if (lastLocalIso.size > 1000) lastLocalIso.clear();
  lastLocalIso.set(timeZone, { ms, iso });
  return iso;
}

function formatLocalIso(at: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    isoFormatter(timeZone)
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  const offset = parts.timeZoneName === 'GMT' ? '+00:00' : String(parts.timeZoneName).replace('GMT', '');
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset}`;
}

export function localeOf(client: Pick<ClientRow, 'locale'>, workspace: Workspace): Locale {
  const wanted = (client.locale ?? '').slice(0, 2).toLowerCase();
  if ((LOCALES as readonly string[]).includes(wanted)) return wanted as Locale;
  return (LOCALES as readonly string[]).includes(workspace.defaultLocale)
    ? (workspace.defaultLocale as Locale)
    : 'en';
}

export interface Coupon {
  code: string;
  value: string;
  expires_at: string;
}

/**
 * Where a campaign's message finds its client's coupon for `{{ coupon.* }}` when the caller gives
 * none: the coupons module registers it (src/app.ts), so templates do not depend on coupons.
 */
export type CouponLookup = (
  db: DbOrTx,
  workspaceId: string,
  campaignId: string,
  clientId: string,
) => Promise<Coupon | undefined>;
let couponLookup: CouponLookup | null = null;
export function registerCouponLookup(lookup: CouponLookup): void {
  couponLookup = lookup;
}

interface Recipient {
  workspace: Workspace;
  client: ClientRow;
  locale: Locale;
  context: Record<string, unknown>;
}

type Location = Awaited<ReturnType<typeof getLocation>>;

/** What a message needs to know about its client besides the client row. */
interface RecipientData {
  client: ClientRow;
  tags: string[];
  location: Location | null;
  /** The client's account manager's name, when the caller gave no sender name. */
  managerName: string | null;
}

interface RecipientExtra {
  coupon?: Coupon;
  senderName?: string;
  now: Date;
  unsubscribeUrl: string;
  preferencesUrl: string;
}

function recipientContext(workspace: Workspace, data: RecipientData, extra: RecipientExtra): Recipient {
  const { client, tags, location } = data;
  if (client.erasedAt)
    throw new AppError('NOT_ALLOWED_NOW', 'This client was erased; nothing can be sent to them');
  const timeZone = client.timezone ?? location?.timezone ?? workspace.defaultTimezone;
  const now = localIso(extra.now, timeZone);
  return {
    workspace,
    client,
    locale: localeOf(client, workspace),
    context: {
      client: {
        first_name: client.firstName ?? '',
        last_name: client.lastName ?? '',
        name: [client.firstName, client.lastName].filter(Boolean).join(' '),
        email: client.email ?? '',
        phone: client.phone ?? '',
        city: client.city ?? '',
        country: client.country ?? '',
        tags,
        custom: client.custom ?? {},
      },
      // The advisor's name: the caller's, else the client's account manager, else the business.
      sender: { name: extra.senderName ?? data.managerName ?? workspace.name, workspace: workspace.name },
      location: { name: location?.name ?? '', address: location?.address ?? '' },
      coupon: extra.coupon ?? { code: '', value: '', expires_at: '' },
      today: now.slice(0, 10),
      now,
      unsubscribe_url: extra.unsubscribeUrl,
      preferences_url: extra.preferencesUrl,
    },
  };
}

async function recipientOf(
  db: DbOrTx,
  workspaceId: string,
  clientId: string,
  extra: RecipientExtra,
): Promise<Recipient> {
  const workspace = await getWorkspace(db, workspaceId);
  const client = await getClientRow(db, workspaceId, clientId);
  if (client.erasedAt)
    throw new AppError('NOT_ALLOWED_NOW', 'This client was erased; nothing can be sent to them');
  const tags = (await tagNamesOfClients(db, workspaceId, [clientId])).get(clientId) ?? [];
  const location = client.locationId ? await getLocation(db, workspaceId, client.locationId) : null;
  const manager =
    extra.senderName || !client.accountManagerId ? null : await getUser(db, client.accountManagerId);
  return recipientContext(workspace, { client, tags, location, managerName: manager?.name ?? null }, extra);
}

/**
 * The recipient data of many clients: one query for the clients, one for their tags; locations and
 * account managers are few and kept in `cache` across batches of one campaign run.
 */
async function recipientsData(
  db: DbOrTx,
  workspaceId: string,
  clientIds: readonly string[],
  cache: { locations: Map<string, Promise<Location | null>>; managers: Map<string, Promise<string | null>> },
  withManagers: boolean,
): Promise<Map<string, RecipientData>> {
  const clientRows = await getClientRows(db, workspaceId, clientIds);
  const present = [...clientRows.keys()];
  const tags = await tagNamesOfClients(db, workspaceId, present);
  const locationOf = (id: string) => {
    let location = cache.locations.get(id);
    if (!location) {
      location = getLocation(db, workspaceId, id).catch(() => null);
      cache.locations.set(id, location);
    }
    return location;
  };
  const managerOf = (id: string) => {
    let name = cache.managers.get(id);
    if (!name) {
      name = getUser(db, id).then((user) => user?.name ?? null);
      cache.managers.set(id, name);
    }
    return name;
  };
  const result = new Map<string, RecipientData>();
  for (const client of clientRows.values())
    result.set(client.id, {
      client,
      tags: tags.get(client.id) ?? [],
      location: client.locationId ? await locationOf(client.locationId) : null,
      managerName: withManagers && client.accountManagerId ? await managerOf(client.accountManagerId) : null,
    });
  return result;
}

export interface RenderInput {
  channel: TemplateChannel;
  content:
    | { templateId: string }
    | {
        subject?: string;
        body: string;
        marketing?: boolean;
        /** A campaign's inline WhatsApp template (its parameters are variables, as in a saved template). */
        whatsappTemplate?: WhatsappTemplateRef;
      };
  clientId: string;
  campaignId?: string;
  coupon?: Coupon;
  /** The advisor's / member's name for `sender.name`; defaults to the client's account manager. */
  senderName?: string;
}

export interface RenderedMessage {
  channel: TemplateChannel;
  subject?: string;
  html?: string;
  text: string;
  marketing: boolean;
  unsubscribeUrl: string;
  preferencesUrl: string;
  /** The locale the footer and the preference page use for this client. */
  locale: Locale;
  sms?: SmsLength;
  whatsappTemplate?: {
    name?: string;
    language?: string;
    content_sid?: string;
    body_parameters: string[];
    header_parameters: string[];
    button_parameters: string[];
  };
  /** Whether the email's links and pixel are tracked. */
  tracked: boolean;
}

/** A campaign's one content rendered for the clients of one claimed batch after another. */
export interface BatchRenderer {
  /** Each client's message, or the error that client's message could not be rendered for. */
  render(db: DbOrTx, clientIds: readonly string[]): Promise<Map<string, RenderedMessage | Error>>;
}

export interface TemplateRenderer {
  /**
   * One message for one client, as it will be sent: Liquid rendered with the client's data and
   * clock, email laid out (logo, colour, inlined CSS, text alternative, unsubscribe footer on
   * marketing) and tracked when the workspace has tracking on. Throws 400 when the content has
   * mistakes, 404 when the client or template is not in the workspace.
   */
  renderMessage(
    db: DbOrTx,
    workspaceId: string,
    input: RenderInput,
    options?: { baseUrl?: string; track?: boolean; now?: Date },
  ): Promise<RenderedMessage>;
  /**
   * The same messages as `renderMessage`, for many clients and one content: the workspace and the
   * template are read once here, and each batch's clients and tags in one query each. Throws as
   * `renderMessage` does when the content itself cannot be used.
   */
  batchRenderer(
    db: DbOrTx,
    workspaceId: string,
    input: Omit<RenderInput, 'clientId' | 'coupon'>,
    options?: { baseUrl?: string; track?: boolean },
  ): Promise<BatchRenderer>;
}

function compile(source: string, path: string, html: boolean): Template[] {
  const checked = checkTemplate(source, path, { html });
  if (checked.problems.length) throw AppError.validation(checked.problems, 'The template has mistakes');
  return checked.templates;
}

async function render(source: string, path: string, html: boolean, context: Record<string, unknown>) {
  const result = await renderTemplate(compile(source, path, html), context, { html, path });
  if ('problem' in result) throw AppError.validation([result.problem], 'The template could not be rendered');
  return result.output;
}

interface MessageContent {
  subject: string | null;
  body: string;
  marketing: boolean;
  ref: WhatsappTemplateRef | null;
}

async function contentOf(
  db: DbOrTx,
  workspaceId: string,
  channel: TemplateChannel,
  content: RenderInput['content'],
): Promise<MessageContent> {
  if ('templateId' in content) {
    const row = await getTemplateRow(db, workspaceId, content.templateId);
    if (row.channel !== channel)
      throw AppError.validation([
        { path: '/channel', message: `the template is for ${row.channel}, not ${channel}` },
      ]);
    return { subject: row.subject, body: row.body, marketing: row.marketing, ref: row.whatsappTemplate };
  }
  return {
    subject: content.subject ?? null,
    body: content.body,
    marketing: content.marketing ?? true,
    ref: content.whatsappTemplate ?? null,
  };
}

/** How many messages a batch renders before it lets pending I/O run (see batchRenderer). */
const RENDERS_BETWEEN_IO = 20;

export function createTemplateRenderer(deps: {
  secrets: SecretBox;
  defaultBaseUrl: string;
}): TemplateRenderer {
  const { secrets } = deps;
  const baseUrlOf = (options: { baseUrl?: string }) =>
    (options.baseUrl ?? deps.defaultBaseUrl).replace(/\/+$/, '');
  const linksOf = (baseUrl: string, workspaceId: string, input: Omit<RenderInput, 'content'>) => {
    const token = unsubscribeToken(secrets, {
      w: workspaceId,
      c: input.clientId,
      ch: input.channel,
      ...(input.campaignId ? { cp: input.campaignId } : {}),
    });
    return { unsubscribeUrl: unsubscribeUrl(baseUrl, token), preferencesUrl: preferencesUrl(baseUrl, token) };
  };

  /** The message itself, once the content and the recipient are known (no database). */
  async function renderFor(
    workspaceId: string,
    input: Omit<RenderInput, 'content'>,
    content: MessageContent,
    recipient: Recipient,
    links: { unsubscribeUrl: string; preferencesUrl: string },
    baseUrl: string,
    track: boolean | undefined,
    /** The email body's source with its CSS already inlined (a campaign does that once). */
    inlinedBody?: string,
  ): Promise<RenderedMessage> {
    const { workspace, context } = recipient;
    const base = {
      channel: input.channel,
      marketing: content.marketing,
      ...links,
      locale: recipient.locale,
    };

    if (input.channel === 'email') {
      const subject = (await render(content.subject ?? '', '/subject', false, context)).trim();
      const inner = await render(inlinedBody ?? content.body, '/body', true, context);
      const layout = {
        content: inner,
        subject,
        workspaceName: workspace.name,
        brandColor: workspace.brandColor,
        logoUrl: workspace.logoUrl,
        locale: recipient.locale,
        marketing: content.marketing,
        ...links,
      };
      const laidOut = layoutEmail(layout, { contentInlined: inlinedBody !== undefined });
      const text = emailText(layout);
      const tracked = track !== false && workspace.emailTracking;
      const claims = {
        w: workspaceId,
        c: input.clientId,
        ...(input.campaignId ? { cp: input.campaignId } : {}),
      };
      const html = tracked
        ? addTracking(laidOut, {
            click: (u) => clickUrl(secrets, baseUrl, { ...claims, u }),
            open: openPixelUrl(secrets, baseUrl, claims),
          }).html
        : laidOut;
      return { ...base, subject, html, text, tracked };
    }

    const text = (await render(content.body, '/body', false, context)).trim();
    if (input.channel === 'sms') return { ...base, text, sms: smsLength(text), tracked: false };
    const ref = content.ref;
    if (!ref) return { ...base, text, tracked: false };
    const parameters = async (list: (typeof PARAMETER_LISTS)[number]) =>
      Promise.all(
        (ref[list] ?? []).map((variable, index) =>
          render(`{{ ${variable} }}`, `/whatsapp_template/${list}/${index}`, false, context),
        ),
      );
    return {
      ...base,
      text,
      tracked: false,
      whatsappTemplate: {
        ...(ref.name ? { name: ref.name } : {}),
        ...(ref.language ? { language: ref.language } : {}),
        ...(ref.content_sid ? { content_sid: ref.content_sid } : {}),
        body_parameters: await parameters('body_parameters'),
        header_parameters: await parameters('header_parameters'),
        button_parameters: await parameters('button_parameters'),
      },
    };
  }

  return {
    async renderMessage(db, workspaceId, input, options = {}) {
      const baseUrl = baseUrlOf(options);
      const content = await contentOf(db, workspaceId, input.channel, input.content);
      const links = linksOf(baseUrl, workspaceId, input);
      const recipient = await recipientOf(db, workspaceId, input.clientId, {
        ...links,
        coupon:
          input.coupon ??
          (input.campaignId && couponLookup
            ? await couponLookup(db, workspaceId, input.campaignId, input.clientId)
            : undefined),
        senderName: input.senderName,
        now: options.now ?? new Date(),
      });
      return renderFor(workspaceId, input, content, recipient, links, baseUrl, options.track);
    },

    async batchRenderer(db, workspaceId, input, options = {}) {
      const baseUrl = baseUrlOf(options);
      const workspace = await getWorkspace(db, workspaceId);
      const content = await contentOf(db, workspaceId, input.channel, input.content);
      const cache = { locations: new Map(), managers: new Map() };
      // A coupon campaign's own code per client (bulk coupons with a notice): looked up only when the
      // content names one, so other campaigns make no query per message for it.
      const usesCoupon = /\bcoupon\b/.test(
        `${content.subject ?? ''} ${content.body} ${JSON.stringify(content.ref ?? {})}`,
      );
      // The body's CSS inlined once for the whole run instead of once per message (the costliest step
      // of a render). Used only after it gave the very same message as the per-message way for the
      // first client rendered; a template whose Liquid sits where the HTML parser moves it does not.
      let inlinedBody: string | undefined;
      let inlinedChecked = input.channel !== 'email';
      if (!inlinedChecked) {
        try {
          inlinedBody = inlineContentCss(content.body, workspace.brandColor);
          compile(inlinedBody, '/body', true);
        } catch {
          inlinedBody = undefined;
          inlinedChecked = true;
        }
      }
      return {
        async render(batchDb, clientIds) {
          const data = await recipientsData(batchDb, workspaceId, clientIds, cache, !input.senderName);
          const now = new Date();
          const messages = new Map<string, RenderedMessage | Error>();
          let rendered = 0;
          for (const clientId of clientIds) {
            // A batch renders while the batch before it is being sent. Liquid's promises resolve as
            // microtasks, so 200 renders would hold the event loop for tens of milliseconds and the
            // SMTP replies of the batch in flight would wait that long: every 20 renders, let I/O in
            // (bench/campaigns-send.ts: 5–16 % more messages a second).
            if (++rendered % RENDERS_BETWEEN_IO === 0) await new Promise((resolve) => setImmediate(resolve));
            const one = { ...input, clientId };
            try {
              const recipientData = data.get(clientId);
              if (!recipientData) throw AppError.notFound('Client');
              const links = linksOf(baseUrl, workspaceId, one);
              const recipient = recipientContext(workspace, recipientData, {
                ...links,
                coupon:
                  usesCoupon && input.campaignId && couponLookup
                    ? await couponLookup(batchDb, workspaceId, input.campaignId, clientId)
                    : undefined,
                senderName: input.senderName,
                now,
              });
              const message = await renderFor(
                workspaceId,
                one,
                content,
                recipient,
                links,
                baseUrl,
                options.track,
                inlinedBody,
              );
              if (!inlinedChecked) {
                inlinedChecked = true;
                // Compared untracked: the tracking links are added after the layout, the same either way.
                const reference = await renderFor(
                  workspaceId,
                  one,
                  content,
                  recipient,
                  links,
                  baseUrl,
                  false,
                );
                const untracked = await renderFor(
                  workspaceId,
                  one,
                  content,
                  recipient,
                  links,
                  baseUrl,
                  false,
                  inlinedBody,
                );
                if (untracked.html !== reference.html || untracked.text !== reference.text) {
                  inlinedBody = undefined;
                  messages.set(
                    clientId,
                    await renderFor(workspaceId, one, content, recipient, links, baseUrl, options.track),
                  );
                  continue;
                }
              }
              messages.set(clientId, message);
            } catch (error) {
              messages.set(clientId, error as Error);
            }
          }
          return messages;
        },
      };
    },
  };
}

export interface PreviewInput {
  template_id?: string;
  channel?: TemplateChannel;
  subject?: string;
  body?: string;
  marketing?: boolean;
  client_id: string;
}

/** POST /templates/preview: a saved template or unsaved text, rendered for a real client, untracked. */
export async function previewTemplate(
  db: DbOrTx,
  ctx: WorkspaceContext,
  renderer: TemplateRenderer,
  input: PreviewInput,
  baseUrl: string,
  senderName: string | undefined,
) {
  let channel: TemplateChannel;
  let content: RenderInput['content'];
  if (input.template_id) {
    channel = (await getTemplateRow(db, ctx.workspaceId, input.template_id)).channel as TemplateChannel;
    content = { templateId: input.template_id };
  } else {
    if (input.body === undefined)
      throw AppError.validation([{ path: '/body', message: 'give template_id or body' }]);
    channel = input.channel ?? 'email';
    content = { subject: input.subject ?? '', body: input.body, marketing: input.marketing ?? true };
    if (channel === 'email' && !input.subject?.trim()) content = { ...content, subject: '(no subject)' };
  }
  const message = await renderer.renderMessage(
    db,
    ctx.workspaceId,
    { channel, content, clientId: input.client_id, senderName },
    { baseUrl, track: false },
  );
  return {
    channel: message.channel,
    subject: message.subject ?? null,
    html: message.html ?? null,
    text: message.text,
    marketing: message.marketing,
    locale: message.locale,
    unsubscribe_url: message.unsubscribeUrl,
    preferences_url: message.preferencesUrl,
    sms: message.sms ?? null,
    whatsapp_template: message.whatsappTemplate ?? null,
  };
}
