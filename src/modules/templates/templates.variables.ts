import type { WorkspaceContext } from '../../platform/auth/context.ts';
import { hasRole, type Role } from '../../platform/auth/roles.ts';
import type { DbOrTx } from '../../platform/db/db.ts';
import { listCustomFields } from '../custom-fields/custom-fields.service.ts';
import { TEMPLATE_VARIABLES } from './liquid.ts';

/** How the editors' variable pickers group what a template may use. */
export const VARIABLE_GROUPS = [
  'client',
  'custom_fields',
  'location',
  'sender',
  'coupon',
  'dates',
  'links',
] as const;
export type VariableGroup = (typeof VARIABLE_GROUPS)[number];

export interface TemplateVariable {
  /** The variable's path, as a WhatsApp template parameter takes it. */
  path: string;
  /** What an editor inserts at the cursor: Liquid output of the path, with a filter where needed. */
  insert: string;
  /** A custom field's own label; null for the built-in variables (the dashboard names those). */
  label: string | null;
}

const GROUP_OF: Record<string, VariableGroup> = {
  client: 'client',
  location: 'location',
  sender: 'sender',
  coupon: 'coupon',
  today: 'dates',
  now: 'dates',
  unsubscribe_url: 'links',
  preferences_url: 'links',
};

/** A list prints as its items run together, and `now` is an ISO timestamp: these read better. */
const INSERT_OF: Record<string, string> = {
  'client.tags': '{{ client.tags | join: ", " }}',
  now: '{{ now | date: "%H:%M" }}',
};

const variable = (path: string, label: string | null = null): TemplateVariable => ({
  path,
  insert: INSERT_OF[path] ?? `{{ ${path} }}`,
  label,
});

/**
 * Every variable the renderer fills (liquid.ts's TEMPLATE_VARIABLES, the list `checkTemplate`
 * accepts), grouped; `client.custom.*` becomes one entry per custom field of the workspace that the
 * caller's role may see (archived ones left out: new content should not use them).
 */
export async function listTemplateVariables(db: DbOrTx, ctx: Pick<WorkspaceContext, 'workspaceId' | 'role'>) {
  const fields = await listCustomFields(db, ctx.workspaceId);
  const byGroup = new Map<VariableGroup, TemplateVariable[]>(VARIABLE_GROUPS.map((g) => [g, []]));
  for (const path of TEMPLATE_VARIABLES) {
    if (path === 'client.custom.*') {
      for (const field of fields)
        if (hasRole(ctx.role, field.visibleMinRole as Role))
          byGroup.get('custom_fields')!.push(variable(`client.custom.${field.key}`, field.label));
      continue;
    }
    const group = GROUP_OF[path.split('.')[0]!];
    if (!group) throw new Error(`template variable ${path} has no picker group`);
    byGroup.get(group)!.push(variable(path));
  }
  return VARIABLE_GROUPS.map((group) => ({ group, variables: byGroup.get(group)! }));
}
