import { systemContext, type WorkspaceContext } from '../../platform/auth/context.ts';
import { type SecretBox, sha256 } from '../../platform/crypto.ts';
import type { Database } from '../../platform/db/db.ts';
import { AppError, type ErrorDetail } from '../../platform/errors.ts';
import { iso } from '../../platform/http/json.ts';
import { LOCALES, type Locale } from '../../platform/locale.ts';
import type { SystemMailer } from '../../platform/mail.ts';
import { diff, recordAudit } from '../audit/audit.service.ts';
import {
  type ClientInput,
  createClient,
  resolveClientIdentities,
  updateClient,
} from '../clients/clients.service.ts';
import { recordConsentChanges } from '../consent/consent.service.ts';
import { getWorkspace } from '../workspaces/workspaces.service.ts';
import { confirmationEmail, HONEYPOT_FIELD } from './forms.page.ts';
import {
  confirmSubmissionRow,
  deleteFormRow,
  findForm,
  findFormById,
  findSubmission,
  insertForm,
  insertSubmission,
  listFormRows,
  lockSubmission,
  recentSubmissionsFrom,
  type SignupFormRow,
  type SignupFormWrite,
  updateFormRow,
} from './forms.repo.ts';
import type { FormConsent, FormField } from './forms.schema.ts';

export const FORM_FIELDS = ['first_name', 'last_name', 'email', 'phone', 'city'] as const;
export const FORM_CHANNELS = ['email', 'sms', 'whatsapp'] as const;
/** Submissions accepted from one address to one form in RATE_WINDOW_MS; more answer 429. */
export const RATE_LIMIT = 5;
export const RATE_WINDOW_MS = 10 * 60 * 1000;

export interface FormInput {
  name?: string;
  title?: string;
  locale?: Locale;
  fields?: FormField[];
  consents?: Array<{ channel: FormConsent['channel']; text: string }>;
  double_opt_in?: boolean;
  active?: boolean;
}

/** The wording's version is derived from the wording itself: change a word and it is a new version. */
export function wordingVersion(text: string): string {
  return `v-${sha256(text.trim()).slice(0, 10)}`;
}

export function toFormJson(row: SignupFormRow, counts?: { submissions: number; pending: number }) {
  return {
    id: row.id,
    name: row.name,
    title: row.title,
    locale: row.locale as Locale,
    fields: row.fields,
    consents: row.consents,
    double_opt_in: row.doubleOptIn,
    active: row.active,
    hosted_path: `/f/${row.id}`,
    submissions: counts?.submissions ?? 0,
    pending_confirmations: counts?.pending ?? 0,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

const AUDITED = ['name', 'title', 'locale', 'fields', 'consents', 'double_opt_in', 'active'] as const;

function validateForm(input: FormInput, creating: boolean): SignupFormWrite {
  const problems: ErrorDetail[] = [];
  const patch: SignupFormWrite = {};
  if (input.name !== undefined || creating) {
    patch.name = (input.name ?? '').trim();
    if (!patch.name) problems.push({ path: '/name', message: 'must not be empty' });
  }
  if (input.title !== undefined || creating) {
    patch.title = (input.title ?? input.name ?? '').trim();
    if (!patch.title) problems.push({ path: '/title', message: 'must not be empty' });
  }
  if (input.locale !== undefined) {
    if (!(LOCALES as readonly string[]).includes(input.locale))
      problems.push({ path: '/locale', message: `must be one of ${LOCALES.join(', ')}` });
    patch.locale = input.locale;
  }
  if (input.fields !== undefined || creating) {
    const fields = input.fields ?? [
      { key: 'first_name', required: true },
      { key: 'email', required: true },
    ];
    const seen = new Set<string>();
    fields.forEach((field, index) => {
      if (!(FORM_FIELDS as readonly string[]).includes(field.key))
        problems.push({ path: `/fields/${index}/key`, message: `must be one of ${FORM_FIELDS.join(', ')}` });
      if (seen.has(field.key)) problems.push({ path: `/fields/${index}/key`, message: 'appears twice' });
      seen.add(field.key);
    });
    if (!fields.some((f) => f.key === 'email' || f.key === 'phone'))
      problems.push({ path: '/fields', message: 'needs email or phone, or nobody could be reached' });
    patch.fields = fields.map((f) => ({ key: f.key, required: Boolean(f.required) }));
  }
  if (input.consents !== undefined || creating) {
    const consents = input.consents ?? [];
    const seen = new Set<string>();
    consents.forEach((consent, index) => {
      if (!(FORM_CHANNELS as readonly string[]).includes(consent.channel))
        problems.push({
          path: `/consents/${index}/channel`,
          message: `must be one of ${FORM_CHANNELS.join(', ')}`,
        });
      if (!consent.text?.trim())
        problems.push({ path: `/consents/${index}/text`, message: 'must not be empty' });
      if (seen.has(consent.channel))
        problems.push({ path: `/consents/${index}/channel`, message: 'appears twice' });
      seen.add(consent.channel);
    });
    patch.consents = consents.map((c) => ({
      channel: c.channel,
      text: c.text.trim(),
      version: wordingVersion(c.text),
    }));
  }
  if (input.double_opt_in !== undefined) patch.doubleOptIn = input.double_opt_in;
  if (input.active !== undefined) patch.active = input.active;
  if (problems.length) throw AppError.validation(problems);
  return patch;
}

export async function listForms(db: Database, workspaceId: string) {
  return (await listFormRows(db, workspaceId)).map((r) =>
    toFormJson(r.form, { submissions: r.submissions, pending: r.pending }),
  );
}

async function getFormRow(db: Database, workspaceId: string, id: string) {
  const row = await findForm(db, workspaceId, id);
  if (!row) throw AppError.notFound('Form');
  return row;
}

export async function getForm(db: Database, workspaceId: string, id: string) {
  return toFormJson(await getFormRow(db, workspaceId, id));
}

export async function createForm(db: Database, ctx: WorkspaceContext, input: FormInput) {
  const values = validateForm(input, true);
  const workspace = await getWorkspace(db, ctx.workspaceId);
  return db.transaction(async (tx) => {
    const row = await insertForm(tx, {
      workspaceId: ctx.workspaceId,
      name: values.name!,
      title: values.title!,
      locale: values.locale ?? workspace.defaultLocale,
      fields: values.fields!,
      consents: values.consents!,
      doubleOptIn: values.doubleOptIn ?? true,
      active: values.active ?? true,
    });
    await recordAudit(tx, ctx, {
      action: 'form.created',
      entityType: 'form',
      entityId: row.id,
      changes: diff(null, toFormJson(row), [...AUDITED]),
    });
    return toFormJson(row);
  });
}

export async function updateForm(db: Database, ctx: WorkspaceContext, id: string, input: FormInput) {
  const patch = validateForm(input, false);
  return db.transaction(async (tx) => {
    const before = await findForm(tx, ctx.workspaceId, id);
    if (!before) throw AppError.notFound('Form');
    const after = await updateFormRow(tx, ctx.workspaceId, id, patch);
    const changes = diff(toFormJson(before), toFormJson(after), [...AUDITED]);
    if (Object.keys(changes).length)
      await recordAudit(tx, ctx, { action: 'form.updated', entityType: 'form', entityId: id, changes });
    return toFormJson(after);
  });
}

export async function deleteForm(db: Database, ctx: WorkspaceContext, id: string) {
  await db.transaction(async (tx) => {
    const before = await findForm(tx, ctx.workspaceId, id);
    if (!before) throw AppError.notFound('Form');
    await deleteFormRow(tx, ctx.workspaceId, id);
    await recordAudit(tx, ctx, {
      action: 'form.deleted',
      entityType: 'form',
      entityId: id,
      changes: diff(toFormJson(before), null, [...AUDITED]),
    });
  });
}

// ---- the public side -------------------------------------------------------------------------------

export async function publicForm(db: Database, id: string): Promise<SignupFormRow | null> {
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  if (!UUID.test(id)) return null;
  const form = await findFormById(db, id);
  return form?.active ? form : null;
}

export interface Visitor {
  ip: string | null;
  userAgent: string | null;
  baseUrl: string;
}

export type SubmitOutcome =
  | { kind: 'done'; confirmationSent: boolean }
  | { kind: 'invalid'; problems: ErrorDetail[]; values: Record<string, string> }
  | { kind: 'rate_limited' };

const CONFIRM_PURPOSE = 'form-confirm';
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/**
 * A person fills the form: bots are dropped silently (honeypot) or slowed (rate limit per
 * address); the client is found by email/phone and updated, or created with source `form`;
 * SMS and WhatsApp consent count at once, email consent only after the confirmation link under
 * double opt-in. Every consent is recorded with its exact wording and version.
 */
export async function submitForm(
  db: Database,
  secrets: SecretBox,
  mailer: SystemMailer,
  form: SignupFormRow,
  body: Record<string, string>,
  visitor: Visitor,
): Promise<SubmitOutcome> {
  if ((body[HONEYPOT_FIELD] ?? '').trim() !== '') return { kind: 'done', confirmationSent: false };
  if (visitor.ip) {
    const recent = await recentSubmissionsFrom(
      db,
      form.id,
      visitor.ip,
      new Date(Date.now() - RATE_WINDOW_MS),
    );
    if (recent >= RATE_LIMIT) return { kind: 'rate_limited' };
  }
  const values: Record<string, string> = {};
  const problems: ErrorDetail[] = [];
  for (const field of form.fields) {
    const value = (body[field.key] ?? '').trim().slice(0, 320);
    values[field.key] = value;
    if (field.required && !value) problems.push({ path: `/${field.key}`, message: 'required' });
    if (field.key === 'email' && value && !EMAIL.test(value))
      problems.push({ path: '/email', message: 'not an email address' });
  }
  const agreed = form.consents.filter((c) => body[`consent_${c.channel}`] === 'on');
  if (problems.length) return { kind: 'invalid', problems, values };

  const workspace = await getWorkspace(db, form.workspaceId);
  const ctx = { ...systemContext(form.workspaceId, `signup form "${form.name}"`), ip: visitor.ip };
  const input: ClientInput = {};
  for (const [key, value] of Object.entries(values))
    if (value) (input as Record<string, string>)[key] = value;
  const [existing] = await resolveClientIdentities(
    db,
    form.workspaceId,
    [{ ...(values.email ? { email: values.email } : {}), ...(values.phone ? { phone: values.phone } : {}) }],
    workspace.defaultCountry,
  );
  let clientId: string;
  try {
    clientId = existing
      ? (await updateClient(db, ctx, existing, input)).id
      : (await createClient(db, ctx, { ...input, source: 'form', locale: form.locale })).id;
  } catch (error) {
    if (error instanceof AppError && error.code === 'VALIDATION_FAILED')
      return { kind: 'invalid', problems: error.details, values };
    throw error;
  }

  const waitsForEmail =
    form.doubleOptIn && agreed.some((c) => c.channel === 'email') && Boolean(values.email);
  const submission = await db.transaction(async (tx) => {
    const row = await insertSubmission(tx, {
      workspaceId: form.workspaceId,
      formId: form.id,
      clientId,
      consents: agreed,
      status: waitsForEmail ? 'pending' : 'accepted',
      ip: visitor.ip,
      userAgent: visitor.userAgent?.slice(0, 500) ?? null,
    });
    for (const consent of agreed) {
      if (consent.channel === 'email' && waitsForEmail) continue;
      await recordConsentChanges(
        tx,
        ctx,
        clientId,
        { [consent.channel]: true },
        {
          source: 'form',
          evidence: `form "${form.name}": ${consent.text}`,
          wordingVersion: consent.version,
          ip: visitor.ip,
          userAgent: visitor.userAgent,
        },
      );
    }
    return row;
  });

  if (!waitsForEmail) return { kind: 'done', confirmationSent: false };
  if (!mailer.configured) return { kind: 'done', confirmationSent: false };
  const token = secrets.sign(CONFIRM_PURPOSE, { w: form.workspaceId, s: submission.id });
  const mail = confirmationEmail(form.locale as Locale, {
    workspaceName: workspace.name,
    url: `${visitor.baseUrl}/f/confirm/${token}`,
  });
  await mailer.send({ to: values.email!, ...mail });
  return { kind: 'done', confirmationSent: true };
}

function readConfirmToken(secrets: SecretBox, token: string) {
  const claims = secrets.verify<{ w: string; s: string }>(CONFIRM_PURPOSE, token);
  return claims && typeof claims.w === 'string' && typeof claims.s === 'string' ? claims : null;
}

/**
 * What the confirmation link leads to, read only: opening it shows a button, because mail
 * scanners open links by themselves and must not give consent in the person's name.
 */
export async function inspectConfirmation(
  db: Database,
  secrets: SecretBox,
  token: string,
): Promise<{ locale: Locale; workspaceName: string; pending: boolean } | null> {
  const claims = readConfirmToken(secrets, token);
  if (!claims) return null;
  const submission = await findSubmission(db, claims.w, claims.s);
  if (!submission?.clientId) return null;
  const form = await findFormById(db, submission.formId);
  const workspace = await getWorkspace(db, claims.w);
  return {
    locale: (form?.locale ?? 'en') as Locale,
    workspaceName: workspace.name,
    pending: submission.status === 'pending',
  };
}

/** The button on the confirmation page: grants email consent once; pressing it again changes nothing. */
export async function confirmSubmission(
  db: Database,
  secrets: SecretBox,
  token: string,
  visitor: { ip: string | null; userAgent: string | null },
): Promise<{ locale: Locale; workspaceName: string } | null> {
  const claims = readConfirmToken(secrets, token);
  if (!claims) return null;
  return db.transaction(async (tx) => {
    const submission = await lockSubmission(tx, claims.w, claims.s);
    if (!submission?.clientId) return null;
    const form = await findFormById(tx, submission.formId);
    const workspace = await getWorkspace(tx, claims.w);
    const locale = ((form?.locale ?? 'en') as Locale) || 'en';
    if (submission.status !== 'pending') return { locale, workspaceName: workspace.name };
    const email = submission.consents.find((c) => c.channel === 'email');
    const ctx = { ...systemContext(claims.w, 'double opt-in confirmation'), ip: visitor.ip };
    if (email)
      await recordConsentChanges(
        tx,
        ctx,
        submission.clientId,
        { email: true },
        {
          source: 'form',
          evidence: `form "${form?.name ?? ''}", confirmed by email link: ${email.text}`,
          wordingVersion: email.version,
          ip: visitor.ip,
          userAgent: visitor.userAgent,
        },
      );
    await confirmSubmissionRow(tx, submission.id, new Date());
    return { locale, workspaceName: workspace.name };
  });
}
