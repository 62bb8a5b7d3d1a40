import { getSelectedWorkspaceId } from './workspace-store';

/**
 * Follows a server-sent event stream of the API. fetch (not EventSource) so the workspace header
 * goes along. `onData` gets each event's parsed `data`; `onEnd` runs when the server closes the
 * stream or the connection drops (not after `stop`). Returns `stop`.
 */
export function followServerEvents<T>(
  path: string,
  onData: (data: T, event: string) => void,
  onEnd: () => void = () => {},
): () => void {
  const controller = new AbortController();
  const headers: Record<string, string> = { Accept: 'text/event-stream' };
  const workspaceId = getSelectedWorkspaceId();
  if (workspaceId) headers['X-Workspace-Id'] = workspaceId;
  (async () => {
    const response = await fetch(path, { headers, credentials: 'same-origin', signal: controller.signal });
    if (!response.ok || !response.body) return;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end = buffer.indexOf('\n\n');
      while (end !== -1) {
        const lines = buffer.slice(0, end).split('\n');
        buffer = buffer.slice(end + 2);
        const event = lines.find((line) => line.startsWith('event: '))?.slice(7) ?? 'message';
        const data = lines
          .filter((line) => line.startsWith('data: '))
          .map((line) => line.slice(6))
          .join('\n');
        if (data) onData(JSON.parse(data) as T, event);
        end = buffer.indexOf('\n\n');
      }
    }
  })()
    .catch(() => {
      // aborted or the connection dropped: the page keeps the last known state
    })
    .finally(() => {
      if (!controller.signal.aborted) onEnd();
    });
  return () => controller.abort();
}
