// A TCP load balancer for the shared-mode tests, on loopback: every new
// connection goes to the first backend that accepts it, in the order given.
// A dead node refuses connections, so its users land on the next one, as
// behind a balancer with fail-over.
import { connect, createServer, type Socket } from 'node:net';

export interface Balancer {
  readonly port: number;
  /** Connections forwarded to each backend port so far. */
  readonly forwarded: Map<number, number>;
  close(): Promise<void>;
}

export async function startBalancer(backendPorts: () => number[]): Promise<Balancer> {
  const open = new Set<Socket>();
  const forwarded = new Map<number, number>();
  const track = (s: Socket) => {
    open.add(s);
    s.on('close', () => open.delete(s));
    s.on('error', () => s.destroy());
  };
  const server = createServer((client) => {
    track(client);
    client.pause();
    const ports = backendPorts();
    const attempt = (i: number) => {
      if (client.destroyed) return;
      if (i >= ports.length) {
        client.destroy();
        return;
      }
      const upstream = connect(ports[i]!, '127.0.0.1');
      const refused = () => attempt(i + 1);
      upstream.once('error', refused);
      upstream.once('connect', () => {
        upstream.off('error', refused);
        track(upstream);
        forwarded.set(ports[i]!, (forwarded.get(ports[i]!) ?? 0) + 1);
        upstream.on('close', () => client.destroy());
        client.on('close', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    attempt(0);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as { port: number }).port,
    forwarded,
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
