import { Center, Container } from '@mantine/core';
import { useEffect } from 'react';
import { Navigate, Outlet, useLocation } from 'react-router';
import { isApiError } from '../api/client';
import { useMe } from '../api/me';
import { getSelectedWorkspaceId, setSelectedWorkspaceId } from '../api/workspace-store';
import { QueryError } from '../ui/QueryError';
import { FullPageLoader } from './FullPageLoader';

/** Everything inside needs a session; signed-out visitors go to /login and come back after. */
export function RequireAuth() {
  const me = useMe();
  const location = useLocation();
  const workspaceId = me.data?.workspace.id;

  useEffect(() => {
    if (workspaceId && getSelectedWorkspaceId() !== workspaceId) setSelectedWorkspaceId(workspaceId);
  }, [workspaceId]);

  if (me.data) return <Outlet />;
  if (me.isPending) return <FullPageLoader />;
  if (isApiError(me.error, 401)) {
    const next = `${location.pathname}${location.search}`;
    const search = next === '/' ? '' : `?next=${encodeURIComponent(next)}`;
    return <Navigate to={`/login${search}`} replace />;
  }
  return (
    <Center h="100dvh">
      <Container size="sm">
        <QueryError error={me.error} onRetry={() => void me.refetch()} />
      </Container>
    </Center>
  );
}

/** Only same-site paths are allowed as a post-login destination. */
export function safeNextPath(value: string | null): string {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/login')) return '/';
  return value;
}
