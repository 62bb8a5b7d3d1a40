/** Entity types the audit log knows today; new modules add theirs here and in the translations. */
export const ENTITY_TYPES = [
  'client',
  'note',
  'tag',
  'label',
  'custom_field',
  'location',
  'event',
  'event_batch',
  'member',
  'invitation',
  'api_key',
  'workspace',
  'user',
  'ai_settings',
] as const;
