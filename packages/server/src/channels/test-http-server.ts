import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A provider stand-in's HTTP server on 127.0.0.1 (an ephemeral port): `handle` answers each
 * request, a handler that throws resets the connection, and `close` ends open keep-alive
 * connections too, so a test's teardown does not wait for the client's agent.
 *
 * @example const { url, close } = await listenLocally(async (req, res) => { res.end("{}"); });
 */
export async function listenLocally(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<unknown>,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
