import type { Activity, ConversationParameters, TurnContext } from 'botbuilder';
import type { ConnectorClient } from 'botframework-connector';
import { tenantOf } from './teams-identity.ts';

/**
 * Sends an activity to the sender of this turn in their own 1:1 chat with DSL Desk, whatever conversation
 * the turn came from. The chat is opened (or found: Teams has one 1:1 chat per bot and person) with the
 * turn's own Bot Connector client, so it goes to the same service, tenant and credentials as the turn. A bot
 * installed in a team may start a 1:1 chat with any member of that team. Throws what the connector
 * answered (403 when the app is not installed for the person, for example).
 */
export async function sendToSendersPersonalChat(context: TurnContext, activity: Partial<Activity>): Promise<{ conversationId: string }> {
  const { activity: turn } = context;
  const connector = context.turnState.get<ConnectorClient | undefined>(context.adapter.ConnectorClientKey);
  if (!connector) throw new Error('no Bot Connector client on this turn');
  const tenantId = tenantOf(context);
  const parameters = {
    isGroup: false,
    bot: { id: turn.recipient.id, name: turn.recipient.name ?? 'DSL Desk' },
    members: [{ id: turn.from.id, name: turn.from.name ?? '' }],
    ...(tenantId ? { tenantId, channelData: { tenant: { id: tenantId } } } : {}),
  } as ConversationParameters;
  const created = await connector.conversations.createConversation(parameters);
  if (!created?.id) throw new Error('the Bot Connector opened no conversation');
  await connector.conversations.sendToConversation(created.id, {
    ...activity,
    type: 'message',
    from: turn.recipient,
    recipient: turn.from,
    conversation: { id: created.id, isGroup: false, conversationType: 'personal', ...(tenantId ? { tenantId } : {}) },
    channelId: turn.channelId,
    serviceUrl: turn.serviceUrl,
  } as Activity);
  return { conversationId: created.id };
}
