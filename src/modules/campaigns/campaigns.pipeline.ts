import type { WhatsappTemplateRef } from '../channels/channel-types.ts';
import type { ChannelService } from '../channels/channels.service.ts';
import type { RenderedMessage, TemplateRenderer } from '../templates/templates.service.ts';
import type { MessagePipeline } from './campaigns.send.ts';

/** A rendered WhatsApp template reference in the shape the channel providers send. */
function whatsappRef(rendered: RenderedMessage['whatsappTemplate']): WhatsappTemplateRef | undefined {
  if (!rendered) return undefined;
  if (rendered.content_sid)
    return {
      contentSid: rendered.content_sid,
      variables: Object.fromEntries(rendered.body_parameters.map((value, i) => [String(i + 1), value])),
    };
  if (!rendered.name || !rendered.language) return undefined;
  return {
    name: rendered.name,
    language: rendered.language,
    bodyParameters: rendered.body_parameters,
    headerParameters: rendered.header_parameters,
    buttonParameters: rendered.button_parameters,
  };
}

/** The campaign engine's view of the templates and channels modules. */
export function campaignPipeline(channels: ChannelService, templates: TemplateRenderer): MessagePipeline {
  return {
    async render(db, workspaceId, input, options) {
      const rendered = await templates.renderMessage(db, workspaceId, input, options);
      return { ...rendered, whatsappTemplate: whatsappRef(rendered.whatsappTemplate) };
    },
    async channel(db, workspaceId, channelId, kind) {
      const channel = channelId
        ? await channels.getChannel(db, workspaceId, channelId)
        : await channels.channelForKind(db, workspaceId, kind);
      return { id: channel.id, ratePerSecond: channel.rate_per_second };
    },
    async batchRenderer(db, workspaceId, input) {
      const renderer = await templates.batchRenderer(db, workspaceId, input);
      return {
        async render(batchDb, clientIds) {
          const rendered = await renderer.render(batchDb, clientIds);
          return new Map(
            [...rendered].map(([clientId, message]) => [
              clientId,
              message instanceof Error
                ? message
                : { ...message, whatsappTemplate: whatsappRef(message.whatsappTemplate) },
            ]),
          );
        },
      };
    },
    // The engine waits for each message's slot of the rate shared by every worker before `send`.
    openSendBatch: (db, ctx, channelId, recipients) => channels.openSendBatch(db, ctx, channelId, recipients),
    // The engine already waited for its slot of the rate shared by every worker.
    send: (db, ctx, channelId, message, options = {}) =>
      channels.sendThroughChannel(db, ctx, channelId, message, { paced: false, test: options.test }),
  };
}
