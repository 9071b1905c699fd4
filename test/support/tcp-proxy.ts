import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on loopback that a test puts between the service and its database, and faults on demand:
 * cut every connection (a restart, failover or pg_terminate_backend), stall them (a hung network or
 * server: nothing forwarded, nothing closed), refuse new ones (the port is closed), and restore.
 */
export interface TcpProxy {
  readonly port: number;
  /** Destroys every open connection, both sides, without a goodbye. New connections are still accepted. */
  cut(): void;
  /** Stops forwarding in both directions; connections stay open and new ones are accepted but get nothing. */
  stall(): void;
  /** Closes the listening port: new connections are refused (ECONNREFUSED). Existing ones are cut. */
  refuse(): Promise<void>;
  /** Back to normal: listening, forwarding, held-back bytes delivered. */
  restore(): Promise<void>;
  /** How many connections are open now. */
  openConnections(): number;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let stalled = false;

  const onConnection = (client: Socket) => {
    const upstream = connect({ host: target.host, port: target.port });
    const pair = { client, upstream };
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    // Paused sockets keep their bytes in the kernel's buffers: a stall that ends delivers them late, as a
    // hung network does.
    client.on('data', (chunk) => {
      if (!upstream.write(chunk)) client.pause();
    });
    upstream.on('data', (chunk) => {
      if (!client.write(chunk)) upstream.pause();
    });
    client.on('drain', () => !stalled && upstream.resume());
    upstream.on('drain', () => !stalled && client.resume());
    if (stalled) {
      client.pause();
      upstream.pause();
    }
  };

  let server: Server = createServer(onConnection);
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
    });
  const port = await listen(0);
  let listening = true;

  const cut = () => {
    for (const pair of pairs) {
      // resetAndDestroy sends an RST, as a dead server or a failover does; a FIN would be too polite.
      pair.client.resetAndDestroy();
      pair.upstream.destroy();
    }
    pairs.clear();
  };

  return {
    port,
    cut,
    stall() {
      stalled = true;
      for (const { client, upstream } of pairs) {
        client.pause();
        upstream.pause();
      }
    },
    async refuse() {
      cut();
      if (listening) {
        listening = false;
        // close() calls back once the connections it had are gone, which cut() has just seen to.
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
    async restore() {
      stalled = false;
      for (const { client, upstream } of pairs) {
        client.resume();
        upstream.resume();
      }
      if (!listening) {
        server = createServer(onConnection);
        await listen(port);
        listening = true;
      }
    },
    openConnections: () => pairs.size,
    async close() {
      cut();
      if (listening) {
        listening = false;
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
  };
}
