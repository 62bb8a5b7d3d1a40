import { and, asc, count, eq, gt, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/db.ts';
import { formSubmissions, signupForms } from './forms.schema.ts';

export type SignupFormRow = typeof signupForms.$inferSelect;
export type SubmissionRow = typeof formSubmissions.$inferSelect;
export type SignupFormWrite = Partial<
  Pick<SignupFormRow, 'name' | 'title' | 'locale' | 'fields' | 'consents' | 'doubleOptIn' | 'active'>
>;

export async function insertForm(db: DbOrTx, values: typeof signupForms.$inferInsert) {
  const [row] = await db.insert(signupForms).values(values).returning();
  return row!;
}

export async function findForm(db: DbOrTx, workspaceId: string, id: string) {
  const [row] = await db
    .select()
    .from(signupForms)
    .where(and(eq(signupForms.workspaceId, workspaceId), eq(signupForms.id, id)));
  return row ?? null;
}

/** Public pages know only the form's id; the workspace comes from the row. */
export async function findFormById(db: DbOrTx, id: string) {
  const [row] = await db.select().from(signupForms).where(eq(signupForms.id, id));
  return row ?? null;
}

export async function listFormRows(db: DbOrTx, workspaceId: string) {
  return db
    .select({
      form: signupForms,
      submissions: sql<number>`(select count(*)::int from form_submissions s where s.form_id = signup_forms.id)`,
      pending: sql<number>`(select count(*)::int from form_submissions s where s.form_id = signup_forms.id and s.status = 'pending')`,
    })
    .from(signupForms)
    .where(eq(signupForms.workspaceId, workspaceId))
    .orderBy(asc(signupForms.name), asc(signupForms.id));
}

export async function updateFormRow(db: DbOrTx, workspaceId: string, id: string, patch: SignupFormWrite) {
  const [row] = await db
    .update(signupForms)
    .set({ ...patch, updatedAt: new Date() })
    .where(and(eq(signupForms.workspaceId, workspaceId), eq(signupForms.id, id)))
    .returning();
  return row!;
}

export async function deleteFormRow(db: DbOrTx, workspaceId: string, id: string) {
  await db.delete(signupForms).where(and(eq(signupForms.workspaceId, workspaceId), eq(signupForms.id, id)));
}

export async function insertSubmission(db: DbOrTx, values: typeof formSubmissions.$inferInsert) {
  const [row] = await db.insert(formSubmissions).values(values).returning();
  return row!;
}

export async function recentSubmissionsFrom(db: DbOrTx, formId: string, ip: string, since: Date) {
  const [row] = await db
    .select({ n: count() })
    .from(formSubmissions)
    .where(
      and(
        eq(formSubmissions.formId, formId),
        eq(formSubmissions.ip, ip),
        gt(formSubmissions.createdAt, since),
      ),
    );
  return row?.n ?? 0;
}

export async function findSubmission(db: DbOrTx, workspaceId: string, id: string) {
  const [row] = await db
    .select()
    .from(formSubmissions)
    .where(and(eq(formSubmissions.workspaceId, workspaceId), eq(formSubmissions.id, id)));
  return row ?? null;
}

export async function lockSubmission(db: DbOrTx, workspaceId: string, id: string) {
  const [row] = await db
    .select()
    .from(formSubmissions)
    .where(and(eq(formSubmissions.workspaceId, workspaceId), eq(formSubmissions.id, id)))
    .for('update');
  return row ?? null;
}

export async function confirmSubmissionRow(db: DbOrTx, id: string, at: Date) {
  await db
    .update(formSubmissions)
    .set({ status: 'confirmed', confirmedAt: at })
    .where(eq(formSubmissions.id, id));
}
