import type { Role } from '../../api/types';

/** Least role that may create, change, duplicate, freeze or archive segments (the API's write role). */
export const SEGMENT_EDIT_ROLE: Role = 'marketer';
