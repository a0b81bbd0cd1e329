// Journeys push service worker — copy this file to your site's root (a service worker must be
// served from the origin of the pages it controls), as /journeys-push-sw.js, and register it
// with journeys-push.js. It shows each push Journeys sends and opens its link on a click.
//
// A push's payload (decrypted by the browser) is the message's JSON:
//   { "title": "Your order shipped", "body": "It arrives on Friday.", "url": "https://shop.example/orders/1" }
// `url` is optional; only http(s) links are opened.

self.addEventListener("push", (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch {
    message = { body: event.data ? event.data.text() : "" };
  }
  event.waitUntil(
    self.registration.showNotification(String(message.title ?? ""), {
      body: String(message.body ?? ""),
      data: { url: typeof message.url === "string" ? message.url : null },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = event.notification.data?.url;
  if (!url || !/^https?:\/\//.test(url)) return;
  event.waitUntil(openOrFocus(url));
});

/** Focuses a tab already showing `url`, else opens one. */
async function openOrFocus(url) {
  const tabs = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const open = tabs.find((tab) => tab.url === url);
  return open ? open.focus() : self.clients.openWindow(url);
}
