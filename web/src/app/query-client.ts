import { QueryCache, QueryClient } from '@tanstack/react-query';
import { isApiError } from '../api/client';
import { queryKeys } from '../api/query-keys';

function shouldRetry(failures: number, error: unknown) {
  return isApiError(error) && (error.status === 0 || error.status >= 500) && failures < 2;
}

export function createQueryClient(): QueryClient {
  const client: QueryClient = new QueryClient({
    queryCache: new QueryCache({
      onError: (error, query) => {
        // The session ended while using the app: re-check who we are, which sends the user to /login.
        if (isApiError(error, 401) && query.queryKey[0] !== queryKeys.me[0]) {
          void client.invalidateQueries({ queryKey: queryKeys.me });
        }
      },
    }),
    defaultOptions: {
      queries: { retry: shouldRetry, staleTime: 30_000, refetchOnWindowFocus: false },
      mutations: { retry: false },
    },
  });
  return client;
}
