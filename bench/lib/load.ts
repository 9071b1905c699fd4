import http from 'node:http';

export interface RequestSpec {
  method: string;
  path: string;
  headers: http.OutgoingHttpHeaders;
  body?: Buffer;
}

export interface LoadOptions {
  baseUrl: string;
  concurrency: number;
  /** Stop starting requests after this long… */
  durationMs?: number;
  /** …or after this many requests in all (whichever is given; both = whichever comes first). */
  totalRequests?: number;
  /** Builds request number `seq` (0-based, unique across clients) for client `client`. */
  makeRequest(client: number, seq: number): RequestSpec;
}

export interface LoadResult {
  /** Requests answered 2xx. */
  ok: number;
  /** Requests answered otherwise, or failed on the socket. */
  errors: number;
  elapsedMs: number;
  /** Latency of every request (ok or not), in completion order. */
  latenciesMs: Float64Array;
  statuses: Record<string, number>;
  /** The first non-2xx answer or socket error, for diagnostics. */
  firstError?: string;
}

interface Answer {
  status: number;
  body: string;
}

function send(agent: http.Agent, base: URL, spec: RequestSpec): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: base.hostname,
        port: base.port,
        method: spec.method,
        path: spec.path,
        headers: { ...spec.headers, 'content-length': spec.body?.length ?? 0 },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          // The body is read (so the socket is reused) but not kept.
          res.resume();
          res.on('end', () => resolve({ status, body: '' }));
        } else {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status, body: Buffer.concat(chunks).toString('utf8') }));
        }
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(spec.body);
  });
}

/**
 * Closed-loop load: `concurrency` clients, each sending its next request as soon as the last one is
 * answered, over one keep-alive agent with a socket per client.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  if (options.durationMs === undefined && options.totalRequests === undefined) throw new Error('runLoad needs durationMs or totalRequests');
  const base = new URL(options.baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const capacity = options.totalRequests ?? 1 << 16;
  let latencies = new Float64Array(capacity);
  let completed = 0;
  let ok = 0;
  let errors = 0;
  let nextSeq = 0;
  let firstError: string | undefined;
  const statuses: Record<string, number> = {};
  const started = process.hrtime.bigint();
  const deadline = options.durationMs === undefined ? undefined : started + BigInt(Math.round(options.durationMs * 1e6));

  const record = (ms: number) => {
    if (completed === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[completed++] = ms;
  };

  const client = async (id: number) => {
    for (;;) {
      if (options.totalRequests !== undefined && nextSeq >= options.totalRequests) return;
      const before = process.hrtime.bigint();
      if (deadline !== undefined && before >= deadline) return;
      const spec = options.makeRequest(id, nextSeq++);
      let key: string;
      try {
        const answer = await send(agent, base, spec);
        key = String(answer.status);
        if (answer.status >= 200 && answer.status < 300) ok += 1;
        else {
          errors += 1;
          firstError ??= `${answer.status} ${answer.body.slice(0, 500)}`;
        }
      } catch (error) {
        key = (error as NodeJS.ErrnoException).code ?? 'socket_error';
        errors += 1;
        firstError ??= `${key}: ${(error as Error).message}`;
      }
      record(Number(process.hrtime.bigint() - before) / 1e6);
      statuses[key] = (statuses[key] ?? 0) + 1;
    }
  };

  try {
    await Promise.all(Array.from({ length: options.concurrency }, (_, i) => client(i)));
  } finally {
    agent.destroy();
  }
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  return { ok, errors, elapsedMs, latenciesMs: latencies.subarray(0, completed), statuses, ...(firstError ? { firstError } : {}) };
}
