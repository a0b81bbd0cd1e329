import { parentPort } from "node:worker_threads";
import { compileMjml } from "./mjml";
import { type RenderedContent, type RenderInput, renderTemplate } from "./render";
import type { Template } from "./template";

/** A render the main thread asks for (see render-threads.ts). */
export interface RenderRequest {
  id: number;
  template: Template;
  input: RenderInput;
}

/**
 * `ready` once the thread has loaded; each render's answer, in the order asked, with the time
 * it took on the thread (`ms`).
 */
export type RenderReply =
  | { id: number; ms: number; ok: true; rendered: RenderedContent }
  | { id: number; ms: number; ok: false; message: string }
  | { ready: true };

/**
 * The thread's side: renders the templates it is sent one after another, in order (the main
 * thread times the one at the head of its list), and answers each with the content or the error.
 */
async function serve(port: NonNullable<typeof parentPort>): Promise<void> {
  await warmUp();
  let previous: Promise<void> = Promise.resolve();
  port.postMessage({ ready: true } satisfies RenderReply);
  port.on("message", (request: RenderRequest) => {
    previous = previous.then(async () => {
      const started = performance.now();
      const ms = () => performance.now() - started;
      try {
        const rendered = await renderTemplate(request.template, request.input);
        port.postMessage({ id: request.id, ms: ms(), ok: true, rendered } satisfies RenderReply);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        port.postMessage({ id: request.id, ms: ms(), ok: false, message } satisfies RenderReply);
      }
    });
  });
}

/**
 * Renders a sample email a few hundred times before taking work (~100 ms): a fresh thread runs
 * Liquid and the text-part converter unoptimised, several times slower than once the engine has
 * compiled them, and a server's first minute of sending should not pay for that.
 */
async function warmUp(): Promise<void> {
  const template: Template = {
    id: "tpl_warm_up",
    name: "Warm-up",
    channel: "email",
    transactional: false,
    subject: "Hello {{ customer.firstName | default: 'there' }}",
    body:
      "<h1>Hi {{ customer.firstName }}</h1><p>Your order of {{ event.total | times: 1.0 }} {{ event.currency | upcase }}" +
      " is on its way.</p>{% for item in event.items %}<p>{{ forloop.index }}. {{ item.name | escape }}</p>{% endfor %}" +
      '<p><a href="https://shop.example/orders/{{ event.orderId }}">Track it</a> &mdash; {{ business.name }}</p>',
    createdAt: 0,
    updatedAt: 0,
  } as Template;
  const input: RenderInput = {
    customer: {
      id: "cus_warm_up",
      userId: "u",
      email: "ada@example.com",
      phone: null,
      timezone: null,
      locale: null,
      attributes: { firstName: "Ada" },
      subscriptions: {},
      topics: {},
      addresses: {},
      createdAt: 0,
      updatedAt: 0,
    },
    event: { total: 42, currency: "eur", orderId: "o1", items: [{ name: "Tea" }, { name: "Cup & saucer" }] },
    business: { name: "Shop" },
    unsubscribeUrl: "https://journeys.example/u/warm-up",
  };
  for (let i = 0; i < 300; i++) await renderTemplate(template, input);
  // The MJML compiler takes most of a second to load: before the thread is ready, never inside
  // a render's deadline.
  await compileMjml(WARM_UP_MJML);
}

const WARM_UP_MJML =
  "<mjml><mj-body><mj-section><mj-column><mj-text>Hi {{ customer.firstName }}</mj-text></mj-column></mj-section></mj-body></mjml>";

if (parentPort) void serve(parentPort);
