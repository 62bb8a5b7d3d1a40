import type { DbOrTx } from '../../platform/db/db.ts';

/**
 * What refers to a channel, through a registry so the channels module does not know the tables of
 * the modules that use it (the composition root, src/app.ts, registers the campaigns' provider).
 * A channel with uses cannot be deleted: a campaign scheduled, sending or paused through it would
 * fail the moment it tried to send (`channel_gone`), after the user had moved on.
 */
export interface ChannelUse {
  type: 'campaign';
  id: string;
  name: string;
  /** The user's next step depends on it: cancel a scheduled or paused campaign, wait for a sending one. */
  status: string;
}

/** A channel, and the kinds for which it is the one a use that names no channel gets (its default). */
export interface ChannelOfUse {
  id: string;
  defaultFor: string[];
}

export interface ChannelUsageProvider {
  name: string;
  /** The uses of each of these channels of the workspace (channels not in the map: none). */
  usedBy(db: DbOrTx, workspaceId: string, channels: ChannelOfUse[]): Promise<Map<string, ChannelUse[]>>;
}

const providers: ChannelUsageProvider[] = [];

export function registerChannelUsage(provider: ChannelUsageProvider): void {
  const index = providers.findIndex((p) => p.name === provider.name);
  if (index >= 0) providers[index] = provider;
  else providers.push(provider);
}

export async function channelUses(
  db: DbOrTx,
  workspaceId: string,
  channels: ChannelOfUse[],
): Promise<Map<string, ChannelUse[]>> {
  const uses = new Map<string, ChannelUse[]>();
  if (!channels.length) return uses;
  for (const provider of providers)
    for (const [id, list] of await provider.usedBy(db, workspaceId, channels))
      uses.set(id, [...(uses.get(id) ?? []), ...list]);
  return uses;
}
