// Every table of every module, for drizzle-kit and the typed query builder.
export * from '../../modules/api-keys/api-keys.schema.ts';
export * from '../../modules/audit/audit.schema.ts';
export * from '../../modules/clients/clients.schema.ts';
export * from '../../modules/consent/consent.schema.ts';
export * from '../../modules/custom-fields/custom-fields.schema.ts';
export * from '../../modules/events/events.schema.ts';
export * from '../../modules/forms/forms.schema.ts';
export * from '../../modules/locations/locations.schema.ts';
export * from '../../modules/notes/notes.schema.ts';
export * from '../../modules/notifications/notifications.schema.ts';
export * from '../../modules/preferences/preferences.schema.ts';
export * from '../../modules/segments/segments.schema.ts';
export * from '../../modules/tags/tags.schema.ts';
export * from '../../modules/templates/templates.schema.ts';
export * from '../../modules/workspaces/workspaces.schema.ts';
export * from '../auth/auth.schema.ts';
