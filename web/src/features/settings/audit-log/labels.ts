/** Entity types the audit log knows today; new modules add theirs here and in the translations. */
export const ENTITY_TYPES = ['workspace', 'member', 'invitation', 'api_key', 'user'] as const;
