import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
} from 'fastify';
import type { Config } from '../../config.ts';
import { AppError, ERROR_STATUS, type ErrorDetail } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import { type AccessDeps, registerAccessControl } from './access.ts';
import { ValidationErrors, validatorCompiler } from './validation.ts';

export type HttpApp = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface HttpDeps extends AccessDeps {
  config: Config;
  metrics: Metrics;
  /** True once migrations ran; /healthz also pings the database. */
  isReady: () => boolean;
  pingDatabase: () => Promise<void>;
  webDist: string | null;
  logger: FastifyBaseLogger | false;
}

export function sendError(
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
  details: ErrorDetail[] = [],
  extra: Record<string, unknown> = {},
) {
  return reply
    .status(status)
    .type('application/json')
    .send({ error: { code, message, details, ...extra } });
}

/** Maps every thrown thing to the one error envelope; 5xx never reveal stacks or SQL. */
function errorHandler(
  this: FastifyInstance,
  error: FastifyError | Error,
  request: { log: FastifyBaseLogger },
  reply: FastifyReply,
) {
  if (error instanceof AppError)
    return sendError(reply, error.status, error.code, error.message, error.details, error.extra);
  if (error instanceof ValidationErrors) {
    return sendError(reply, 400, 'VALIDATION_FAILED', 'The request has invalid fields', error.details);
  }
  const fastifyError = error as FastifyError;
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return sendError(reply, 413, 'PAYLOAD_TOO_LARGE', 'The request body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return sendError(reply, 415, 'UNSUPPORTED_MEDIA_TYPE', 'Send JSON with Content-Type: application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return sendError(reply, 400, 'VALIDATION_FAILED', 'The JSON body is empty', [
        { path: '/', message: 'is required' },
      ]);
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return sendError(reply, 400, 'VALIDATION_FAILED', 'The body is not valid JSON', [
        { path: '/', message: 'is not valid JSON' },
      ]);
  }
  if (fastifyError.validation) {
    return sendError(reply, 400, 'VALIDATION_FAILED', 'The request has invalid fields', [
      { path: '/', message: fastifyError.message },
    ]);
  }
  if (fastifyError.statusCode && fastifyError.statusCode < 500) {
    if (fastifyError.statusCode === 400 && /JSON/i.test(fastifyError.message)) {
      return sendError(reply, 400, 'VALIDATION_FAILED', 'The body is not valid JSON', [
        { path: '/', message: 'is not valid JSON' },
      ]);
    }
    return sendError(reply, fastifyError.statusCode, 'BAD_REQUEST', fastifyError.message);
  }
  request.log.error({ err: error }, 'unhandled error');
  return sendError(
    reply,
    500,
    'INTERNAL',
    'Something went wrong on our side; the request id is in X-Request-Id',
  );
}

/**
 * Fastify's own response serializers (fast-json-stringify), each compiled on the route's first
 * response instead of at start-up: compiling them and the request validators (validation.ts) for
 * every route took 2.2–2.5 s of a 5.6 s start of `serve`.
 */
export function lazySerializers(): ReturnType<typeof SerializerSelector> {
  const factory = SerializerSelector();
  return (externalSchemas, options) => {
    const compile = factory(externalSchemas, options);
    return (route) => {
      let serialize: ((data: unknown) => string) | null = null;
      return (data: unknown) => {
        serialize ??= compile(route) as (data: unknown) => string;
        return serialize(data);
      };
    };
  };
}

export async function buildHttpApp(deps: HttpDeps): Promise<HttpApp> {
  const { config } = deps;
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && /^[\w.-]{8,64}$/.test(incoming) ? incoming : randomUUID();
    },
    trustProxy: config.trustProxy,
    disableRequestLogging: true,
    bodyLimit: config.bodyLimitBytes,
    ajv: { customOptions: { allErrors: true } },
    routerOptions: { ignoreTrailingSlash: true },
    schemaController: { compilersFactory: { buildSerializer: lazySerializers() } },
  }).withTypeProvider<TypeBoxTypeProvider>() as HttpApp;

  app.setValidatorCompiler(validatorCompiler);
  app.setErrorHandler(errorHandler);

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    deps.metrics.httpDuration
      .labels(request.method, route, String(reply.statusCode))
      .observe(reply.elapsedTime / 1000);
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    return payload;
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Clientela API',
        version: '1',
        description:
          'Clients, segments and campaigns of one workspace. Authenticate with `Authorization: Bearer <api key>` ' +
          '(create keys in Settings › API keys or with `clientela api-key create`). Errors are ' +
          '`{ "error": { "code", "message", "details": [ { "path", "message" } ] } }`. Lists take `limit` ' +
          '(max 200) and `cursor`, and answer `next_cursor`.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'A workspace API key (ck_…)' },
          session: { type: 'apiKey', in: 'cookie', name: 'clientela.session_token' },
        },
      },
      security: [{ apiKey: [] }, { session: [] }],
    },
    hideUntagged: false,
  });
  await app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    uiConfig: { deepLinking: true, docExpansion: 'list' },
  });

  registerAccessControl(app, deps);

  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.get('/healthz', { schema: { hide: true } }, async (_request, reply) => {
    if (!deps.isReady()) return reply.status(503).send({ status: 'starting' });
    try {
      await deps.pingDatabase();
      return { status: 'ok' };
    } catch {
      return reply.status(503).send({ status: 'database_unavailable' });
    }
  });

  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (config.metricsToken && request.headers.authorization !== `Bearer ${config.metricsToken}`) {
      return sendError(reply, 401, 'UNAUTHENTICATED', 'A metrics token is required');
    }
    reply.type(deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });

  const dist = deps.webDist && existsSync(path.join(deps.webDist, 'index.html')) ? deps.webDist : null;
  if (dist) {
    await app.register(fastifyStatic, { root: dist, wildcard: false, index: false, maxAge: '1h' });
    // Hashed assets never change; everything else revalidates.
    app.get('/assets/*', { schema: { hide: true } }, (request, reply) => {
      const file = (request.params as { '*': string })['*'];
      return reply.sendFile(path.join('assets', file), { maxAge: '365d', immutable: true });
    });
  }

  app.setNotFoundHandler((request, reply) => {
    const url = request.url.split('?')[0] ?? '/';
    const isApi = url.startsWith('/api/') || url === '/api';
    if (!isApi && dist && request.method === 'GET') {
      return reply.header('cache-control', 'no-cache').sendFile('index.html');
    }
    if (!isApi && !dist && request.method === 'GET' && url === '/') {
      return reply
        .type('text/html')
        .send(
          '<p>The dashboard is not built. Run <code>npm run build:web</code> or <code>npm start</code>.</p>',
        );
    }
    return sendError(reply, 404, 'NOT_FOUND', `No route ${request.method} ${url}`);
  });

  return app;
}

export { ERROR_STATUS };
