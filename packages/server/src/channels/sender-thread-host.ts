import { parentPort, workerData } from "node:worker_threads";
import { Outbound } from "../outbound/outbound";
import type { ChannelProvider, OutgoingMessage, SendOptions, SendResult } from "./provider";
import { providerDefinition } from "./registry";
import type { ChannelSetup } from "./setup";

/** What the dispatcher's side asks of the sender thread (see sender-thread.ts). */
export type HostRequest =
  | { kind: "open"; provider: number; setup: ChannelSetup }
  | { kind: "send"; request: number; provider: number; message: OutgoingMessage; options: SendOptions }
  | { kind: "close"; request: number; provider: number };

/** What the thread is started with. */
export interface SenderThreadData {
  allowPrivateNetwork: boolean;
}

export type HostReply =
  | { kind: "sent"; request: number; result: SendResult }
  | { kind: "closed"; request: number }
  | { kind: "failed"; request: number; message: string };

/** The thread's side: builds the providers it is told to open and runs their sends. */
function serve(port: NonNullable<typeof parentPort>, data: SenderThreadData): void {
  // The thread's own guard, with the process's policy: a connection is checked where it is made.
  const outbound = new Outbound({ allowPrivateNetwork: data.allowPrivateNetwork });
  const providers = new Map<number, ChannelProvider>();
  const reply = (message: HostReply) => port.postMessage(message);
  port.on("message", (request: HostRequest) => {
    switch (request.kind) {
      case "open": {
        const { setup } = request;
        const provider = providerDefinition(setup.channel, setup.provider)?.create(setup.config, outbound);
        if (provider) providers.set(request.provider, provider);
        return;
      }
      case "send": {
        const provider = providers.get(request.provider);
        if (!provider) {
          reply({
            kind: "failed",
            request: request.request,
            message: "the provider is not open on the sender thread",
          });
          return;
        }
        provider.send(request.message as never, request.options).then(
          (result) => reply({ kind: "sent", request: request.request, result }),
          (error: unknown) =>
            reply({
              kind: "failed",
              request: request.request,
              message: error instanceof Error ? error.message : String(error),
            }),
        );
        return;
      }
      case "close": {
        const provider = providers.get(request.provider);
        providers.delete(request.provider);
        void (provider?.close() ?? Promise.resolve()).finally(() =>
          reply({ kind: "closed", request: request.request }),
        );
        return;
      }
    }
  });
}

if (parentPort) serve(parentPort, workerData as SenderThreadData);
