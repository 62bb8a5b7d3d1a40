// Every table of every module, for drizzle-kit and the typed query builder.

export * from '../../modules/api-keys/api-keys.schema.ts';
export * from '../../modules/audit/audit.schema.ts';
export * from '../../modules/workspaces/workspaces.schema.ts';
export * from '../auth/auth.schema.ts';
