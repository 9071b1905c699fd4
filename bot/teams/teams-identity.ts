import { TeamsInfo, type TurnContext } from 'botbuilder';
import { resolveActor } from '../../src/app/people/resolve-actor.ts';
import type { AppDeps } from '../../src/app/deps.ts';
import type { ConversationAddress } from '../../src/domain/chat.ts';
import { AppError } from '../../src/domain/errors.ts';
import type { Actor } from '../../src/domain/roles.ts';

/**
 * Who sent a Teams activity, decided from our own records. The activity itself was authenticated by the
 * Bot Framework token; the tenant and the sender's Entra object id in it pick the school and the person.
 * Card data is never used for this.
 */
export async function actorFromActivity(deps: AppDeps, context: TurnContext): Promise<Actor> {
  const { activity } = context;
  const tenantId = tenantOf(context);
  const objectId = activity.from?.aadObjectId;
  if (!tenantId || !objectId) {
    throw new AppError('unauthenticated', 'DSL Desk could not tell who you are from Teams. Open DSL Desk from your school account.', { internal: 'activity without tenant or aadObjectId' });
  }
  const identity = { provider: 'entra' as const, tenantId, subject: objectId, ...(activity.from.name ? { displayName: activity.from.name } : {}) };
  try {
    return await resolveActor(deps, identity);
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== 'forbidden') throw error;
    // First contact from someone the school imported by email: Teams tells us their address on request.
    const member = await memberFacts(context);
    if (!member) throw error;
    return resolveActor(deps, { ...identity, ...member });
  }
}

/**
 * The sender as the Bot Connector knows them. As with Entra tokens, only a member's sign-in name is an
 * address the school's tenant vouches for; a guest belongs to another organisation.
 */
async function memberFacts(context: TurnContext): Promise<{ email: string; emailVerified: boolean; guest?: true } | undefined> {
  try {
    const member = await TeamsInfo.getMember(context, context.activity.from.id);
    const signInName = member.userPrincipalName?.includes('@') ? member.userPrincipalName.toLowerCase() : undefined;
    const email = signInName ?? (member.email?.includes('@') ? member.email.toLowerCase() : undefined);
    if (!email) return undefined;
    const guest = member.userRole === 'guest' || email.toUpperCase().includes('#EXT#');
    return { email, emailVerified: Boolean(signInName) && !guest, ...(guest ? { guest: true as const } : {}) };
  } catch {
    return undefined;
  }
}

export function tenantOf(context: TurnContext): string | undefined {
  const channelData = context.activity.channelData as { tenant?: { id?: string } } | undefined;
  return channelData?.tenant?.id ?? context.activity.conversation?.tenantId;
}

/** The address to write to this conversation later, without anyone present. */
export function addressOf(context: TurnContext): ConversationAddress {
  const { activity } = context;
  const channelData = activity.channelData as { team?: { id?: string }; channel?: { id?: string } } | undefined;
  const tenantId = tenantOf(context);
  const conversationType = activity.conversation?.conversationType;
  const teamId = channelData?.team?.id;
  // In a channel, conversation.id is "<channel id>;messageid=<thread>": new cards go to the channel itself.
  const channelId = conversationType === 'channel' ? (channelData?.channel?.id ?? activity.conversation.id.split(';')[0]) : undefined;
  return {
    platform: 'teams',
    conversationId: channelId ?? activity.conversation.id,
    serviceUrl: activity.serviceUrl,
    ...(tenantId ? { tenantId } : {}),
    ...(teamId ? { teamId } : {}),
    ...(channelId ? { channelId } : {}),
    ...(activity.recipient?.id ? { botId: activity.recipient.id } : {}),
  };
}

export function isPersonalChat(context: TurnContext): boolean {
  return context.activity.conversation?.conversationType === 'personal';
}
