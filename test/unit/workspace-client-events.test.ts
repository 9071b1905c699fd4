import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OAuth2Client } from 'google-auth-library';
import { chatEventSchema, formValue, formValues } from '../../bot/google-chat/chat-events.ts';
import { addonServiceAccountEmail } from '../../src/domain/google-workspace.ts';
import {
  addedToSpaceEvent, appCommandEvent, buttonClickEvent, dialogEvent, messageEvent, sendEvent, stringInputs,
} from '../../scripts/workspace-client/chat-events.ts';
import { startGoogleSigner, type GoogleSigner } from '../../scripts/workspace-client/google-signer.ts';

const teacher = { name: 'users/1001', displayName: 'Tess Teacher', email: 'tess@oakfield.example.org', domainId: 'C0akf1eld' };
const dm = { name: 'spaces/dm-1001', spaceType: 'DIRECT_MESSAGE' as const };
const dslSpace = { name: 'spaces/dsl', spaceType: 'SPACE' as const, displayName: 'Safeguarding' };
const PROJECT = '123456789012';

describe('local Google signer', () => {
  let signer: GoogleSigner;
  beforeAll(async () => {
    signer = await startGoogleSigner();
  });
  afterAll(() => signer.close());

  function verifier(): OAuth2Client {
    return new OAuth2Client({
      endpoints: { oauth2FederatedSignonPemCertsUrl: signer.certsUrl },
      transporterOptions: { fetchImplementation: (input, init) => fetch(input, init) },
    });
  }

  it('mints add-on tokens google-auth-library verifies against its certificates, with the add-on service agent as email', async () => {
    const audience = 'https://dsl-desk.example/api/google/chat';
    const token = await signer.mintAddonToken({ audience, projectNumber: PROJECT });
    const client = verifier();
    const payload = (await client.verifyIdToken({ idToken: token, audience })).getPayload();
    expect(payload).toMatchObject({ iss: 'https://accounts.google.com', aud: audience, email: addonServiceAccountEmail(PROJECT), email_verified: true });
    expect(payload!.exp! - payload!.iat!).toBe(3600);
    // Cached per Cache-Control max-age: a second verification does not fetch again.
    const before = signer.certsRequests;
    await client.verifyIdToken({ idToken: await signer.mintAddonToken({ audience, projectNumber: PROJECT }), audience });
    expect(signer.certsRequests).toBe(before);
  });

  it('makes tokens the verifier refuses: another audience, expired', async () => {
    const client = verifier();
    const otherAudience = await signer.mintAddonToken({ audience: 'https://elsewhere.example/', projectNumber: PROJECT });
    await expect(client.verifyIdToken({ idToken: otherAudience, audience: 'https://dsl-desk.example/api/google/chat' })).rejects.toThrow(/recipient/i);
    const expired = await signer.mintAddonToken({ audience: 'https://a.example/', projectNumber: PROJECT, issuedAt: Math.floor(Date.now() / 1000) - 7200 });
    await expect(client.verifyIdToken({ idToken: expired, audience: 'https://a.example/' })).rejects.toThrow(/expired|late/i);
  });
});

describe('Chat events in the add-on format', () => {
  it('builds a DM message the app\'s schema accepts', () => {
    const event = chatEventSchema.parse(messageEvent({ user: teacher, space: dm, text: 'report' }));
    expect(event.chat.messagePayload?.message.text).toBe('report');
    expect(event.chat.messagePayload?.space?.singleUserBotDm).toBe(true);
    expect(event.chat.user.email).toBe(teacher.email);
    expect(event.commonEventObject.hostApp).toBe('CHAT');
  });

  it('builds a slash command that opens a dialog, with its arguments', () => {
    const event = chatEventSchema.parse(appCommandEvent({ user: teacher, space: dm, commandId: 1, text: '/report a message I saw', opensDialog: true }));
    const payload = event.chat.appCommandPayload!;
    expect(payload.appCommandMetadata).toMatchObject({ appCommandId: 1, appCommandType: 'SLASH_COMMAND' });
    expect(payload.isDialogEvent).toBe(true);
    expect(payload.dialogEventType).toBe('REQUEST_DIALOG');
    expect(payload.message?.argumentText).toBe('a message I saw');
    expect(payload.message?.slashCommand?.commandId).toBe('1');
  });

  it('builds added-to-space and a message in a space', () => {
    expect(chatEventSchema.parse(addedToSpaceEvent({ user: teacher, space: dslSpace })).chat.addedToSpacePayload?.space.name).toBe('spaces/dsl');
    const event = chatEventSchema.parse(messageEvent({ user: teacher, space: dslSpace, text: 'use this space for cases' }));
    expect(event.chat.messagePayload?.space?.displayName).toBe('Safeguarding');
  });

  it('builds a card click with parameters and form inputs, and dialog steps', () => {
    const click = chatEventSchema.parse(buttonClickEvent({
      user: teacher, space: dslSpace,
      message: { name: 'spaces/dsl/messages/client-case-1' },
      action: { function: 'https://dsl-desk.example/api/google/chat', parameters: [{ key: 'action', value: 'case.acknowledge' }, { key: 'caseId', value: 'c1' }] },
      formInputs: stringInputs({ note: 'called parent', types: ['a', 'b'] }),
    }));
    expect(click.commonEventObject.parameters).toEqual({ action: 'case.acknowledge', caseId: 'c1' });
    expect(formValue(click, 'note')).toBe('called parent');
    expect(formValues(click, 'types')).toEqual(['a', 'b']);
    expect(click.chat.buttonClickedPayload?.message?.name).toBe('spaces/dsl/messages/client-case-1');
    expect(click.chat.buttonClickedPayload?.isDialogEvent).toBeUndefined();

    const submit = chatEventSchema.parse(dialogEvent({ user: teacher, space: dm, action: { function: 'x', parameters: [{ key: 'action', value: 'concern.submit' }] }, dialog: 'SUBMIT_DIALOG' }));
    expect(submit.chat.buttonClickedPayload).toMatchObject({ isDialogEvent: true, dialogEventType: 'SUBMIT_DIALOG' });
    const open = chatEventSchema.parse(buttonClickEvent({ user: teacher, space: dm, action: { function: 'x', interaction: 'OPEN_DIALOG' } }));
    expect(open.chat.buttonClickedPayload).toMatchObject({ isDialogEvent: true, dialogEventType: 'REQUEST_DIALOG' });
  });
});

describe('sendEvent', () => {
  let signer: GoogleSigner;
  let server: Server;
  let received: { authorization?: string; body: Record<string, unknown> }[] = [];
  let url = '';
  beforeAll(async () => {
    signer = await startGoogleSigner();
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ authorization: request.headers.authorization, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> });
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ action: { navigations: [{ pushCard: { header: { title: 'Report a concern' } } }] } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/google/chat`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await signer.close();
  });

  it('signs the event in the header and the event object, and returns the synchronous answer', async () => {
    received = [];
    const answer = await sendEvent(url, messageEvent({ user: teacher, space: dm, text: 'report' }), { signer, projectNumber: PROJECT, audience: 'https://public.example/api/google/chat' });
    expect(answer).toEqual({ status: 200, body: { action: { navigations: [{ pushCard: { header: { title: 'Report a concern' } } }] } } });
    const [request] = received;
    const token = request!.authorization!.replace(/^Bearer /, '');
    expect((request!.body.authorizationEventObject as { systemIdToken: string }).systemIdToken).toBe(token);
    const client = new OAuth2Client({ endpoints: { oauth2FederatedSignonPemCertsUrl: signer.certsUrl }, transporterOptions: { fetchImplementation: (input, init) => fetch(input, init) } });
    const payload = (await client.verifyIdToken({ idToken: token, audience: 'https://public.example/api/google/chat' })).getPayload();
    expect(payload?.email).toBe(addonServiceAccountEmail(PROJECT));
  });
});
