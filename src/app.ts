import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import type { Config } from './config.ts';
import { registerAiRoutes } from './modules/ai/ai.routes.ts';
import { registerApiKeyRoutes } from './modules/api-keys/api-keys.routes.ts';
import {
  API_KEY_REVOKED_CHANNEL,
  type ApiKeyIdentity,
  createApiKeyAuthenticator,
} from './modules/api-keys/api-keys.service.ts';
import { registerAuditRoutes } from './modules/audit/audit.routes.ts';
import { bulkJobs } from './modules/bulk/bulk.jobs.ts';
import { registerBulkRoutes } from './modules/bulk/bulk.routes.ts';
import { bulkSegmentUsage } from './modules/bulk/bulk.usage.ts';
import { abJobs } from './modules/campaigns/campaigns.ab.ts';
import { campaignPipeline } from './modules/campaigns/campaigns.pipeline.ts';
import { registerCampaignRoutes } from './modules/campaigns/campaigns.routes.ts';
import { campaignSendJobs } from './modules/campaigns/campaigns.send.ts';
import { campaignChannelUsage, campaignSegmentUsage } from './modules/campaigns/campaigns.usage.ts';
import { registerChannelUsage } from './modules/channels/channels.registry.ts';
import { registerChannelRoutes } from './modules/channels/channels.routes.ts';
import {
  type ChannelService,
  channelMessagesParticipant,
  createChannelService,
} from './modules/channels/channels.service.ts';
import { registerWebhookRoutes } from './modules/channels/webhooks.routes.ts';
import { registerClientData } from './modules/clients/client-data.ts';
import { clientsDailyFiguresJobs } from './modules/clients/clients.daily-figures.ts';
import { registerClientGdprRoutes } from './modules/clients/clients.gdpr.routes.ts';
import { clientsGdprJobs } from './modules/clients/clients.gdpr.ts';
import { registerClientQueryFilter } from './modules/clients/clients.list.ts';
import { registerClientRoutes } from './modules/clients/clients.routes.ts';
import { registerClientTimelineRoutes } from './modules/clients/clients.timeline.routes.ts';
import { registerLabelRoutes } from './modules/clients/labels.ts';
import { registerConsentRoutes } from './modules/consent/consent.routes.ts';
import { consentParticipant } from './modules/consent/consent.service.ts';
import { createSuppressionList } from './modules/consent/suppressions.service.ts';
import { registerCouponRoutes } from './modules/coupons/coupons.routes.ts';
import { couponForCampaign, couponsParticipant } from './modules/coupons/coupons.service.ts';
import { registerCustomFieldRoutes } from './modules/custom-fields/custom-fields.routes.ts';
import { deliveriesEngagementSource } from './modules/deliveries/deliveries.engagement.ts';
import { deliveriesParticipant } from './modules/deliveries/deliveries.participant.ts';
import { eventsJobs } from './modules/events/events.jobs.ts';
import { eventsParticipant } from './modules/events/events.participant.ts';
import { registerEventRoutes } from './modules/events/events.routes.ts';
import { exportsJobs } from './modules/exports/exports.jobs.ts';
import { registerExportRoutes } from './modules/exports/exports.routes.ts';
import { registerExportScheduleRoutes } from './modules/exports/exports.schedules.routes.ts';
import { registerFormRoutes } from './modules/forms/forms.routes.ts';
import { registerHomeRoutes } from './modules/home/home.routes.ts';
import { importsJobs } from './modules/imports/imports.jobs.ts';
import { registerImportRoutes } from './modules/imports/imports.routes.ts';
import { registerLocationRoutes } from './modules/locations/locations.routes.ts';
import { registerNoteRoutes } from './modules/notes/notes.routes.ts';
import { notesParticipant } from './modules/notes/notes.service.ts';
import { notificationJobs } from './modules/notifications/notifications.jobs.ts';
import { registerNotificationRoutes } from './modules/notifications/notifications.routes.ts';
import { registerPreferenceRoutes } from './modules/preferences/preferences.routes.ts';
import { registerSegmentAlertRoutes } from './modules/segments/segments.alerts.routes.ts';
import { segmentsJobs } from './modules/segments/segments.jobs.ts';
import { registerEngagementSource, registerSegmentUsage } from './modules/segments/segments.registry.ts';
import { registerSegmentRoutes } from './modules/segments/segments.routes.ts';
import { clientQueryFilterSql } from './modules/segments/segments.service.ts';
import { registerTagRoutes } from './modules/tags/tags.routes.ts';
import { registerTemplateRoutes } from './modules/templates/templates.routes.ts';
import {
  createTemplateRenderer,
  registerCouponLookup,
  type TemplateRenderer,
} from './modules/templates/templates.service.ts';
import { registerTrackingRoutes } from './modules/tracking/tracking.routes.ts';
import { registerWorkspaceRoutes } from './modules/workspaces/workspaces.routes.ts';
import { listWorkspacesForUser, membershipOf } from './modules/workspaces/workspaces.service.ts';
import { registerAuthRoutes, toWebHeaders } from './platform/auth/auth.routes.ts';
import { type Auth, createAuth } from './platform/auth/auth.ts';
import type { Role } from './platform/auth/roles.ts';
import { createSecretBox } from './platform/crypto.ts';
import { createDb, type DbHandle } from './platform/db/db.ts';
import { UUID } from './platform/db/ids.ts';
import { listenToChannel } from './platform/db/listen.ts';
import { AppError } from './platform/errors.ts';
import type { Identity } from './platform/http/access.ts';
import { buildHttpApp, type HttpApp } from './platform/http/app.ts';
import { createSystemMailer, type SystemMailer } from './platform/mail.ts';
import { createMetrics } from './platform/metrics.ts';
import { maintenanceJobs } from './platform/queue/maintenance.ts';
import { type JobDefinitions, mergeJobs } from './platform/queue/queue.ts';

export const ROOT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const WEB_DIST = path.join(ROOT_DIR, 'web', 'dist');

export interface Clientela {
  http: HttpApp;
  dbHandle: DbHandle;
  /** Channel providers: `channels.sendThroughChannel(db, ctx, channelId, message)` for the campaign engine. */
  channels: ChannelService;
  auth: Auth;
  jobs: JobDefinitions;
  /** The product's own mail to team members (SMTP_URL); `configured: false` when unset. */
  mailer: SystemMailer;
  /** Renders one message per recipient (templates, email layout, unsubscribe links, tracking): the campaign engine's entry. */
  templates: TemplateRenderer;
  markReady(): void;
  close(): Promise<void>;
}

const NOBODY: Identity = { principal: null, workspace: null, workspaceName: null };

function apiKeyIdentity(key: ApiKeyIdentity, request: FastifyRequest): Identity {
  return {
    principal: { kind: 'api_key', key: { id: key.id, name: key.name, prefix: key.prefix } },
    workspace: {
      workspaceId: key.workspaceId,
      role: key.role,
      actor: { type: 'api_key', id: key.id, label: `${key.name} (${key.prefix}…)` },
      ip: request.ip,
      requestId: request.id,
    },
    workspaceName: key.workspaceName,
  };
}

/**
 * The composition root: one database handle, better-auth, metrics, the HTTP app with every
 * module's routes, and the job definitions a worker runs. `serve`, `worker`, tests and
 * benchmarks all build the product through this one function.
 */
export async function createClientela(options: {
  config: Config;
  databaseUrl: string;
  secretKey: string;
  logger: FastifyBaseLogger | false;
  webDist?: string | null;
}): Promise<Clientela> {
  const { config } = options;
  const dbHandle = createDb(options.databaseUrl, { max: config.dbPoolMax });
  const { db, pool } = dbHandle;
  const auth = createAuth({
    db,
    secret: options.secretKey,
    publicUrl: config.publicUrl,
    sessionDays: config.sessionDays,
    trustProxy: config.trustProxy,
  });
  const metrics = createMetrics(pool);
  const apiKeys = createApiKeyAuthenticator(db);
  const stopListening = listenToChannel(options.databaseUrl, API_KEY_REVOKED_CHANNEL, apiKeys.evict);
  let ready = false;
  let closedHttp = false;

  async function identify(request: FastifyRequest): Promise<Identity> {
    const authorization = request.headers.authorization;
    if (authorization) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      if (!match) throw new AppError('UNAUTHENTICATED', 'Authorization must be "Bearer <api key>"');
      const key = await apiKeys.authenticate(match[1]!);
      if (!key) throw new AppError('UNAUTHENTICATED', 'The API key is invalid, revoked or expired');
      return apiKeyIdentity(key, request);
    }
    if (!request.headers.cookie?.includes('clientela.')) return NOBODY;
    const session = await auth.api.getSession({ headers: toWebHeaders(request) });
    if (!session) return NOBODY;
    const user = { id: session.user.id, email: session.user.email, name: session.user.name };
    const principal = { kind: 'user' as const, user };
    const requested = request.headers['x-workspace-id'];
    let workspaceId: string | null = null;
    let role: Role | null = null;
    let workspaceName: string | null = null;
    if (typeof requested === 'string' && requested !== '') {
      const membership = UUID.test(requested) ? await membershipOf(db, requested, user.id) : null;
      if (!membership) {
        return {
          principal,
          workspace: null,
          workspaceName: null,
          workspaceError: new AppError(
            'FORBIDDEN',
            'You are not a member of the workspace in X-Workspace-Id',
          ),
        };
      }
      workspaceId = requested;
      role = membership.role;
      workspaceName = membership.workspaceName;
    } else {
      const [first] = await listWorkspacesForUser(db, user.id);
      if (first) {
        workspaceId = first.id;
        role = first.role as Role;
        workspaceName = first.name;
      }
    }
    return {
      principal,
      workspace:
        workspaceId && role
          ? {
              workspaceId,
              role,
              actor: { type: 'user', id: user.id, label: user.email },
              ip: request.ip,
              requestId: request.id,
            }
          : null,
      workspaceName,
    };
  }

  const http = await buildHttpApp({
    config,
    metrics,
    identify,
    isReady: () => ready,
    pingDatabase: async () => {
      await pool.query('select 1');
    },
    webDist: options.webDist === undefined ? WEB_DIST : options.webDist,
    logger: options.logger,
  });
  http.addHook('onClose', async () => {
    closedHttp = true;
  });
  registerAuthRoutes(http, { auth, db, config });
  registerWorkspaceRoutes(http, { db, config });
  registerApiKeyRoutes(http, { db });
  registerAuditRoutes(http, { db });
  registerClientRoutes(http, { db });
  registerLabelRoutes(http, { db });
  registerCustomFieldRoutes(http, { db });
  registerTagRoutes(http, { db });
  registerLocationRoutes(http, { db });
  const suppressions = createSuppressionList(options.secretKey);
  // Provider secrets at rest and signed links (unsubscribe, tracking) all go through this box.
  const secrets = createSecretBox(options.secretKey);
  // Channels: providers, the Outbox and provider webhooks; the campaign engine sends through `channels`.
  const channels = createChannelService({ secrets, publicUrl: config.publicUrl });
  registerChannelRoutes(http, { db, channels });
  registerWebhookRoutes(http, { db, config, channels, suppressions });
  const mailer = createSystemMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom });
  registerNotificationRoutes(http, { db });
  registerClientData(notesParticipant);
  registerClientData(consentParticipant);
  registerClientData(eventsParticipant);
  registerClientData(deliveriesParticipant);
  registerEngagementSource(deliveriesEngagementSource);
  registerSegmentUsage(campaignSegmentUsage);
  registerChannelUsage(campaignChannelUsage);
  registerSegmentUsage(bulkSegmentUsage);
  registerClientData(channelMessagesParticipant);
  registerEventRoutes(http, { db, bodyLimitBytes: config.bodyLimitBytes });
  registerClientTimelineRoutes(http, { db });
  registerNoteRoutes(http, { db });
  registerConsentRoutes(http, { db, suppressions });
  registerClientGdprRoutes(http, { db, suppressions });
  registerSegmentRoutes(http, { db, timeoutMs: config.segmentTimeoutMs });
  registerSegmentAlertRoutes(http, {
    db,
    timeoutMs: config.segmentTimeoutMs,
    mailConfigured: mailer.configured,
  });
  registerClientQueryFilter(clientQueryFilterSql);
  registerImportRoutes(http, {
    db,
    suppressions,
    uploadsDir: path.join(config.dataDir, 'uploads', 'imports'),
    maxBytes: config.importMaxBytes,
  });
  const exportDeps = { secrets, exportsDir: path.join(config.dataDir, 'exports') };
  registerExportRoutes(http, { db, ...exportDeps });
  registerExportScheduleRoutes(http, { db, ...exportDeps });
  // Templates, unsubscribe/preferences, tracking: links in messages are absolute (PUBLIC_URL, else this server).
  const templates = createTemplateRenderer({
    secrets,
    defaultBaseUrl: config.publicUrl ?? `http://localhost:${config.port}`,
  });
  registerTemplateRoutes(http, { db, config, renderer: templates });
  registerPreferenceRoutes(http, { db, secrets, mailConfigured: mailer.configured });
  registerTrackingRoutes(http, { db, secrets });
  registerFormRoutes(http, { db, config, secrets, mailer });
  // The AI writing assistant: never sends anything itself; workspace keys are sealed with the same box.
  registerAiRoutes(http, { db, secrets, config: config.ai });

  // Campaigns send through the templates renderer and the channels service.
  const pipeline = campaignPipeline(channels, templates);
  registerCampaignRoutes(http, { db, suppressions, pipeline });
  // Bulk actions act through the clients, campaigns, exports and coupons services.
  registerBulkRoutes(http, { db, exports: exportDeps });
  registerCouponRoutes(http, { db });
  registerClientData(couponsParticipant);
  registerCouponLookup(couponForCampaign);
  registerHomeRoutes(http, { db });

  const jobs = mergeJobs(
    maintenanceJobs(db, config.maintenanceCron),
    clientsGdprJobs(db, { suppressions }),
    clientsDailyFiguresJobs(db),
    eventsJobs(db),
    segmentsJobs(db, {
      cron: config.segmentCountCron,
      timeoutMs: config.segmentTimeoutMs,
      mailConfigured: mailer.configured,
    }),
    notificationJobs(db, mailer),
    importsJobs(db, { suppressions }),
    exportsJobs(db, exportDeps),
    campaignSendJobs(db, dbHandle.pool, {
      suppressions,
      pipeline,
      snapshotSplitFrom: config.snapshotSplitFrom,
      mailConfigured: mailer.configured,
    }),
    bulkJobs(db),
    abJobs(db),
  );

  return {
    http,
    dbHandle,
    channels,
    auth,
    jobs,
    mailer,
    templates,
    markReady: () => {
      ready = true;
    },
    /** Stops HTTP (if still open), the revocation listener and the pool. */
    close: async () => {
      mailer.close();
      if (!closedHttp) await http.close();
      apiKeys.close();
      await stopListening();
      await dbHandle.close();
    },
  };
}
