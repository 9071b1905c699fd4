import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { startFakeBotFrameworkIdp, type FakeBotFrameworkIdp } from '../fakes/fake-bot-framework-idp.ts';
import { enginesUnderTest } from '../support/test-storage.ts';
import { startTestService, type TestService } from '../support/test-service.ts';

/**
 * Every operation of the OpenAPI document, the Teams bot's endpoint and the public signing pages, sent
 * generated requests: wrong types, odd and huge Unicode, NUL and other controls (in bodies, ids and
 * query strings), deep nesting, `__proto__`, wrong Content-Types and charsets, and bodies labelled gzip,
 * deflate or Brotli that are (or are not) compressed. None may answer 5xx, and /healthz answers after each.
 *
 * Runs are bounded and seeded: set FUZZ_SEED to replay a failure (fast-check prints the seed and path),
 * FUZZ_RUNS to explore more.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_010);
const RUNS_PER_OPERATION = Number(process.env.FUZZ_RUNS ?? 15);

interface Operation {
  method: string;
  path: string;
}

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array;
}

/** A few features are not connected in this configuration and say so with 503 "unavailable"; nothing else may be 5xx. */
const NOT_CONNECTED = new Set(['/api/v1/email-reports/graph', '/api/v1/cases/{caseId}/emails/{emailId}/remove', '/api/v1/cases/{caseId}/emails/{emailId}/forward']);

const odd = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ unit: fc.constantFrom('\u0000', '\u0007', '\u001b', '\ud800', '\udfff', '\ufffe', '\u202e', '\u200b', '\r', '\n', '%', '/', '..', '😀', 'a'), maxLength: 20 }),
  fc.constantFrom('', ' ', '\u0000', 'null', '__proto__', 'constructor', '../../etc/passwd', '%00', 'CASE-2026-0001', '00000000-0000-4000-8000-000000000000', 'x'.repeat(5000)),
);

/** JSON values with the shapes parsers and schemas trip on. */
const jsonish: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  odd,
  fc.integer(),
  fc.double(),
  fc.constant(null),
  fc.array(odd, { maxLength: 5 }),
  fc.dictionary(odd, odd, { maxKeys: 5 }),
);

/** A plausible body for the route with one string leaf replaced: the way control characters reach storage. */
const TEMPLATES: Record<string, Record<string, unknown>> = {
  '/api/v1/reports': { concern: { types: ['online_bullying'], description: 'It happened', involved: [{ group: 'child', name: 'A Pupil' }] }, channel: 'api' },
  '/api/v1/cases/{caseId}/actions': { action: 'note', text: 'A note' },
  '/api/v1/aup/policies': { audience: 'staff', title: 'Staff AUP', markdown: '# AUP\n\nRules.\n', acknowledgementWording: 'I agree', effectiveDate: '2026-09-01', reviewDate: '2027-09-01' },
  '/api/v1/aup/policies/{policyId}/acknowledgements': { agreed: true, typedName: 'Dana Lead' },
  '/api/v1/aup/links': { audience: 'visitor', intendedFor: 'A Visitor', email: 'visitor@example.org' },
  '/api/v1/aup/new-starters': { displayName: 'New Starter', email: 'new.starter@oakfield.example.org', department: 'Maths' },
  '/api/v1/aup/campaigns': { policyId: '00000000-0000-4000-8000-000000000000' },
  '/api/v1/people': { displayName: 'New Person', email: 'new.person@oakfield.example.org', roles: ['staff'] },
  '/api/v1/email-reports/graph': { itemId: 'AAMk', choice: 'phishing', note: 'odd' },
  '/api/v1/cases/{caseId}/emails/{emailId}/forward': { to: ['security'] },
  '/api/v1/aup/people/{personId}/profile': { audienceOverride: 'staff', startDate: '2026-09-01' },
};

/** Percent-encodes every byte: encodeURIComponent throws on a lone surrogate, and a path cannot carry one anyway. */
function pct(value: string): string {
  return [...Buffer.from(value, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
}

function withLeafReplaced(template: unknown, pick: number, value: unknown): unknown {
  let index = 0;
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') return index++ === pick ? value : node;
    if (Array.isArray(node)) return node.map(walk);
    if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([key, child]) => [key, walk(child)]));
    return node;
  };
  return walk(template);
}

const DEEP = '['.repeat(20_000) + ']'.repeat(20_000);

function bodyText(template: Record<string, unknown> | undefined): fc.Arbitrary<string> {
  return fc.oneof(
    jsonish.map((value) => JSON.stringify(value) ?? 'null'),
    ...(template ? [fc.tuple(fc.nat({ max: 12 }), jsonish).map(([pick, value]) => JSON.stringify(withLeafReplaced(template, pick, value)))] : []),
    ...(template ? [fc.tuple(fc.nat({ max: 12 }), odd).map(([pick, value]) => JSON.stringify(withLeafReplaced(template, pick, value)))] : []),
    fc.constantFrom(
      '{"__proto__":{"isAdmin":true,"roles":["dsl"]},"constructor":{"prototype":{"x":1}}}',
      '{"concern":{"__proto__":{"types":["online_bullying"]}}}',
      DEEP,
      '{"a":'.repeat(3000) + '1' + '}'.repeat(3000),
      '{"unterminated": "',
      '\uFEFF{"bom":true}',
      'a=1&b=%00&agreed=yes',
    ),
    fc.string({ unit: 'binary', maxLength: 300 }),
  );
}

function encoded(text: string): fc.Arbitrary<{ body: Uint8Array; encoding?: string }> {
  const bytes = Buffer.from(text, 'utf8');
  return fc.oneof(
    fc.constant({ body: bytes }),
    fc.constant({ body: gzipSync(bytes), encoding: 'gzip' }),
    fc.constant({ body: brotliCompressSync(bytes), encoding: 'br' }),
    fc.constant({ body: deflateSync(bytes), encoding: 'deflate' }),
    // Labelled compressed, but not.
    fc.constantFrom('gzip', 'br', 'deflate', 'GZIP', 'zstd', 'compress', 'gzip, br', 'identity, gzip', 'x-made-up').map((encoding) => ({ body: bytes, encoding })),
    // Truncated compressed data.
    fc.constant({ body: gzipSync(bytes).subarray(0, 12), encoding: 'gzip' }),
  );
}

const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'application/json; charset=made-up',
  'application/merge-patch+json',
  'text/plain',
  'message/rfc822',
  'application/octet-stream',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
);

describe.each(enginesUnderTest())('fuzzing every route on %s', (engine) => {
  let t: TestService;
  let botIdp: FakeBotFrameworkIdp;
  let operations: Operation[];
  let tokens: Record<string, string>;
  let caseId: string;

  beforeAll(async () => {
    botIdp = await startFakeBotFrameworkIdp();
    t = await startTestService(engine, {
      RATE_LIMIT_PER_MINUTE: '1000000',
      BOT_REFUSALS_PER_MINUTE: '1000000',
      BOT_APP_ID: '5f1c3a9e-0000-4000-8000-00000000f022',
      BOT_APP_PASSWORD: 'not-used-nothing-is-sent',
      BOT_OPENID_METADATA_URL: botIdp.metadataUrl,
      BOT_EMULATOR_OPENID_METADATA_URL: botIdp.metadataUrl,
      BOT_TOKEN_ISSUER: botIdp.issuer,
    });
    tokens = {
      dsl: await t.tokenFor(t.schoolA.dsl, t.schoolA),
      admin: await t.tokenFor(t.schoolA.admin, t.schoolA),
      staff: await t.tokenFor(t.schoolA.staff, t.schoolA),
    };
    const report = await t.request('/api/v1/reports', { token: tokens.staff, body: TEMPLATES['/api/v1/reports'] });
    expect(report.status).toBe(201);
    caseId = report.body.caseId;
    const document = await t.request('/api/v1/openapi.json');
    expect(document.status).toBe(200);
    operations = Object.entries(document.body.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((method) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
        .map((method) => ({ method: method.toUpperCase(), path })),
    );
    // The document is the list of what to fuzz: if it shrank to nothing, this test would prove nothing.
    expect(operations.length).toBeGreaterThan(25);
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    await botIdp?.close();
  });

  async function send(request: FuzzRequest): Promise<{ status: number; text: string }> {
    const response = await fetch(`${t.url}${request.path}`, {
      method: request.method,
      headers: request.headers,
      ...(request.body !== undefined && request.method !== 'GET' ? { body: request.body } : {}),
    });
    return { status: response.status, text: await response.text() };
  }

  async function expectNo5xx(request: FuzzRequest, route: string): Promise<void> {
    const { status, text } = await send(request);
    const allowed = status === 503 && NOT_CONNECTED.has(route) && /"code":"unavailable"/.test(text);
    if (status >= 500 && !allowed) {
      throw new Error(`${request.method} ${request.path} answered ${status}: ${text.slice(0, 300)} (headers ${JSON.stringify({ ...request.headers, authorization: request.headers.authorization?.slice(0, 20) })}, body ${request.body ? Buffer.from(request.body).toString('hex').slice(0, 200) : 'none'})`);
    }
    const health = await fetch(`${t.url}/healthz`);
    expect(health.status).toBe(200);
  }

  function fillPath(path: string, segments: Record<string, string>): string {
    return path.replace(/\{(\w+)\}/g, (_whole, name: string) => pct(segments[name] ?? 'x'));
  }

  const pathSegment = fc.oneof(fc.constant('<real>'), odd);
  const auth = fc.constantFrom('dsl', 'admin', 'staff', 'none', 'garbage', 'google-shaped');

  function requestFor(operation: Operation): fc.Arbitrary<FuzzRequest> {
    const template = TEMPLATES[operation.path];
    return fc
      .record({
        segments: fc.dictionary(fc.constantFrom('caseId', 'emailId', 'policyId', 'acknowledgementId', 'campaignId', 'personId', 'role'), pathSegment, { maxKeys: 7 }),
        query: fc.option(fc.dictionary(fc.constantFrom('status', 'urgency', 'type', 'limit', 'before', 'assignee', 'choice', 'audience', 'format', 'unsigned', '__proto__'), odd, { maxKeys: 3 }), { nil: undefined }),
        who: auth,
        type: contentType,
        payload: bodyText(template).chain(encoded),
        extra: fc.option(fc.record({ 'idempotency-key': fc.string({ unit: fc.constantFrom('a', 'b', '-', ' ', '~'), maxLength: 300 }), 'x-report-note': fc.constantFrom('%00', '%E0%A4%A', 'note%0Awith%0Dbreaks', 'a'.repeat(3000)) }, { requiredKeys: [] }), { nil: undefined }),
      })
      .map(({ segments, query, who, type, payload, extra }) => {
        const real: Record<string, string> = { caseId, personId: t.schoolA.staff.personId, role: 'dsl' };
        const filled = Object.fromEntries(Object.entries(segments).map(([name, value]) => [name, value === '<real>' ? (real[name] ?? 'x') : value]));
        const search = query ? `?${Object.entries(query).map(([key, value]) => `${pct(key)}=${pct(String(value))}`).join('&')}` : '';
        const headers: Record<string, string> = { 'content-type': type, ...(extra ?? {}) };
        if (payload.encoding) headers['content-encoding'] = payload.encoding;
        if (who === 'garbage') headers.authorization = 'Bearer not.a.token';
        else if (who === 'google-shaped') headers.authorization = `Bearer ${Buffer.from('{"alg":"RS256","kid":"x"}').toString('base64url')}.${Buffer.from('{"iss":"accounts.google.com"}').toString('base64url')}.c2ln`;
        else if (who !== 'none') headers.authorization = `Bearer ${tokens[who]}`;
        return { method: operation.method, path: `${fillPath(operation.path, filled)}${search}`, headers, body: payload.body };
      });
  }

  test('every operation of the OpenAPI document', async () => {
    for (const operation of operations) {
      await fc.assert(
        fc.asyncProperty(requestFor(operation), (request) => expectNo5xx(request, operation.path)),
        { numRuns: RUNS_PER_OPERATION, seed: SEED, endOnFailure: true },
      );
    }
  }, 180_000);

  test('the Teams bot endpoint', async () => {
    const activity = fc.oneof(
      jsonish.map((value) => JSON.stringify(value) ?? 'null'),
      fc.record({ type: odd, channelId: fc.constantFrom('msteams', 'webchat', ''), serviceUrl: fc.constantFrom('https://smba.trafficmanager.net/emea/', 'file:///etc/passwd', 'http://127.0.0.1:9/', '') }).map((value) => JSON.stringify(value)),
      bodyText(undefined),
    );
    const token = fc.oneof(
      fc.constant(undefined),
      odd,
      fc.record({ alg: fc.constantFrom('RS256', 'none', 'HS256'), kid: fc.option(odd, { nil: undefined }), exp: fc.option(fc.integer(), { nil: undefined }) }).map(
        (header) => `${Buffer.from(JSON.stringify({ alg: header.alg, kid: header.kid })).toString('base64url')}.${Buffer.from(JSON.stringify({ exp: header.exp, aud: 'x' })).toString('base64url')}.c2ln`,
      ),
    );
    await fc.assert(
      fc.asyncProperty(activity.chain(encoded), token, contentType, fc.constantFrom('POST', 'GET', 'PUT'), async (payload, bearer, type, method) => {
        const headers: Record<string, string> = { 'content-type': type };
        if (payload.encoding) headers['content-encoding'] = payload.encoding;
        if (bearer !== undefined) headers.authorization = `Bearer ${bearer.replace(/[^\x21-\x7e]/g, '')}`;
        await expectNo5xx({ method, path: '/api/messages', headers, body: payload.body }, '/api/messages');
      }),
      { numRuns: RUNS_PER_OPERATION * 12, seed: SEED, endOnFailure: true },
    );
  }, 120_000);

  test('the public signing and policy pages', async () => {
    const form = fc.oneof(
      fc.dictionary(fc.constantFrom('agreed', 'typedName', 'typedEmail', 'policyId', '__proto__', 'x'), odd, { maxKeys: 6 }).map((fields) =>
        Object.entries(fields)
          .map(([key, value]) => `${pct(key)}=${pct(value)}`)
          .join('&'),
      ),
      bodyText(undefined),
    );
    await fc.assert(
      fc.asyncProperty(odd, form.chain(encoded), contentType, fc.constantFrom('GET', 'POST'), fc.option(odd, { nil: undefined }), async (token, payload, type, method, k) => {
        const headers: Record<string, string> = { 'content-type': method === 'POST' && type === 'application/json' ? 'application/x-www-form-urlencoded' : type };
        if (payload.encoding) headers['content-encoding'] = payload.encoding;
        await expectNo5xx({ method, path: `/aup/sign/${pct(token)}`, headers, body: payload.body }, '/aup/sign/{token}');
        await expectNo5xx({ method: 'GET', path: `/aup/policies/${pct(token)}/page${k === undefined ? '' : `?k=${pct(k)}`}`, headers: {} }, '/aup/policies/{policyId}/page');
      }),
      { numRuns: RUNS_PER_OPERATION * 8, seed: SEED, endOnFailure: true },
    );
  }, 120_000);
});
