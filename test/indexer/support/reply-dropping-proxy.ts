import net from 'node:net';

/**
 * A TCP proxy in front of a real Redis that can lose a reply on purpose: once armed, the
 * first client command carrying `trigger` is forwarded (Redis runs it), its reply and
 * everything after it are dropped, and the connection is cut. The client sees exactly what
 * a network failure after the request left would show it: no answer, then a reconnect
 * (ioredis re-sends the unanswered commands on the new connection).
 */
export class ReplyDroppingProxy {
  private readonly server: net.Server;
  private armed = 0;
  private trigger = Buffer.alloc(0);
  private readonly sockets = new Set<net.Socket>();
  /** Replies lost so far. */
  dropped = 0;

  private constructor(private readonly target: { host: string; port: number }) {
    this.server = net.createServer((client) => this.relay(client));
  }

  static async start(targetUrl: string): Promise<ReplyDroppingProxy> {
    const url = new URL(targetUrl);
    const proxy = new ReplyDroppingProxy({ host: url.hostname, port: Number(url.port || 6379) });
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `redis://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  /** Loses the reply of the next `times` commands whose bytes contain `trigger`. */
  arm(trigger: string, times = 1): void {
    this.trigger = Buffer.from(trigger, 'utf8');
    this.armed = times;
  }

  private relay(client: net.Socket): void {
    const upstream = net.connect(this.target.port, this.target.host);
    this.sockets.add(client).add(upstream);
    let dropping = false;
    const cut = () => {
      this.sockets.delete(client);
      this.sockets.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', cut);
    upstream.on('error', cut);
    client.on('close', cut);
    upstream.on('close', cut);
    upstream.on('data', (chunk: Buffer) => {
      if (!dropping) client.write(chunk);
    });
    client.on('data', (chunk: Buffer) => {
      if (dropping) return;
      if (this.armed > 0 && chunk.includes(this.trigger)) {
        this.armed -= 1;
        this.dropped += 1;
        dropping = true;
        upstream.write(chunk);
        // Long enough for Redis to have run the command (its reply is discarded above).
        setTimeout(cut, 300);
        return;
      }
      upstream.write(chunk);
    });
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
