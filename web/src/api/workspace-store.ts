/** The workspace the user picked, sent as X-Workspace-Id on every API call. */

const STORAGE_KEY = 'clientela.workspaceId';

export function getSelectedWorkspaceId(): string | null {
  try {
    return window.localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function setSelectedWorkspaceId(id: string | null): void {
  try {
    if (id) window.localStorage.setItem(STORAGE_KEY, id);
    else window.localStorage.removeItem(STORAGE_KEY);
  } catch {
    // Storage can be unavailable (private mode); the server then uses the first workspace.
  }
}
