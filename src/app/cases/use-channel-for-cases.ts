import type { CaseChannel, ConversationAddress } from '../../domain/chat.ts';
import { forbidden, invalidInput } from '../../domain/errors.ts';
import { hasAnyRole, type Actor } from '../../domain/roles.ts';
import { nowIso, type AppDeps } from '../deps.ts';

/**
 * Makes a channel the school's place for case cards. Only a DSL or deputy DSL in our own records may do
 * it: whoever controls the channel sees every new case's reference, type and reporter.
 */
export async function useChannelForCases(deps: AppDeps, options: { actor: Actor; address: ConversationAddress }): Promise<CaseChannel> {
  const { actor, address } = options;
  if (!hasAnyRole(actor, ['dsl', 'deputy_dsl'])) {
    throw forbidden('Only the DSL or a deputy DSL can choose the channel for cases. Ask your DSL to do it.');
  }
  if (!address.channelId) {
    throw invalidInput('Run this in the DSL team channel where cases should arrive, not in a chat.');
  }
  return deps.storage.transaction(async (tx) => {
    const now = nowIso(deps);
    const previous = await tx.chat.getCaseChannel(actor.schoolId, address.platform);
    const channel: CaseChannel = { schoolId: actor.schoolId, address, setById: actor.personId, setAt: now };
    await tx.chat.setCaseChannel(channel);
    await tx.audit.append(
      { schoolId: actor.schoolId, actorId: actor.personId, action: 'school.case_channel_set', detail: { platform: address.platform, replaced: previous !== undefined } },
      now,
    );
    return channel;
  });
}
