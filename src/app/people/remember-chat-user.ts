import type { ChatPlatform, ConversationAddress } from '../../domain/chat.ts';
import type { Actor } from '../../domain/roles.ts';
import { requeueUnreachedDeliveries } from '../aup/deliver-aup.ts';
import { nowIso, type AppDeps } from '../deps.ts';

/**
 * Keeps the person's platform id and, from a personal chat, the address of that chat, so DSL Desk can
 * write to them later (the reporter's updates, urgent escalations). Writes only when something changed.
 * Returns whether this is the first time we have their personal chat, so a welcome is sent once even when
 * the platform repeats its install events.
 */
export async function rememberChatUser(
  deps: AppDeps,
  options: { actor: Actor; platform: ChatPlatform; userId: string; personalConversation?: ConversationAddress },
): Promise<{ firstPersonalContact: boolean }> {
  const { actor, platform, userId, personalConversation } = options;
  const known = await deps.storage.read((reader) => reader.chat.getUser(actor.schoolId, actor.personId, platform));
  const sameConversation = !personalConversation || (known?.personalConversation && JSON.stringify(known.personalConversation) === JSON.stringify(personalConversation));
  if (known && known.userId === userId && sameConversation) return { firstPersonalContact: false };
  const firstPersonalContact = Boolean(personalConversation && !known?.personalConversation);
  await deps.storage.transaction(async (tx) => {
    await tx.chat.saveUser({ schoolId: actor.schoolId, personId: actor.personId, platform, userId, ...(personalConversation ? { personalConversation } : {}), updatedAt: nowIso(deps) });
    // A policy that could not reach them before (no chat yet) can now: send it again, in this chat.
    if (firstPersonalContact) await requeueUnreachedDeliveries(deps, tx, { schoolId: actor.schoolId, personId: actor.personId });
  });
  return { firstPersonalContact };
}
