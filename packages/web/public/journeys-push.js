// Journeys web push snippet (an ES module). It subscribes this browser to the business's push
// messages and hands the subscription to Journeys, where the customer with `userId` gets it
// (created if new) and push consent becomes "subscribed". The write key (wk_…) is public by
// design: it can only add data.
//
//   <script type="module">
//     import { subscribeToPush } from "https://journeys.example.com/ui/journeys-push.js"; // or a copy
//     document.querySelector("#notify-me").addEventListener("click", async () => {
//       const result = await subscribeToPush({
//         host: "https://journeys.example.com",
//         writeKey: "wk_…",
//         userId: currentUser.id,
//       });
//       if (!result.ok) console.log("push not enabled:", result.reason);
//     });
//   </script>
//
// Call it from a click: browsers only ask for notification permission after a user gesture.
// Calling it again on later visits is harmless (the same subscription replaces itself), and
// keeps Journeys up to date when the browser renewed the subscription. The service worker
// (journeys-push-sw.js) must be copied to your own site, by default at /journeys-push-sw.js.

/**
 * Asks for permission, subscribes with the business's VAPID key and sends the subscription to
 * Journeys. Resolves to { ok: true, subscription } or { ok: false, reason } with reason
 * "unsupported", "denied" or "default" (the prompt was dismissed); rejects on a network or API
 * error (an Error with `code`, e.g. "invalid_write_key").
 */
export async function subscribeToPush({ host, writeKey, userId, serviceWorkerUrl = "/journeys-push-sw.js" }) {
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window))
    return { ok: false, reason: "unsupported" };
  const permission = await Notification.requestPermission();
  if (permission !== "granted") return { ok: false, reason: permission };
  await navigator.serviceWorker.register(serviceWorkerUrl);
  const registration = await navigator.serviceWorker.ready;
  const { vapidPublicKey } = await call(host, writeKey, "GET", "/v1/push/vapid-public-key");
  const applicationServerKey = fromBase64url(vapidPublicKey);
  let subscription = await registration.pushManager.getSubscription();
  // A subscription made with another key (the set-up was replaced) cannot receive: renew it.
  if (subscription && !sameBytes(subscription.options.applicationServerKey, applicationServerKey)) {
    await subscription.unsubscribe();
    subscription = null;
  }
  subscription ??= await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey });
  await call(host, writeKey, "POST", "/v1/push/subscriptions", {
    userId,
    subscription: subscription.toJSON(),
  });
  return { ok: true, subscription };
}

/** Unsubscribes this browser and removes its subscription from the customer; resolves to true when there was one. */
export async function unsubscribeFromPush({ host, writeKey, userId }) {
  const registration = "serviceWorker" in navigator ? await navigator.serviceWorker.getRegistration() : null;
  const subscription = await registration?.pushManager.getSubscription();
  if (!subscription) return false;
  await call(host, writeKey, "DELETE", "/v1/push/subscriptions", {
    userId,
    subscription: { endpoint: subscription.endpoint },
  });
  return subscription.unsubscribe();
}

async function call(host, writeKey, method, path, body) {
  const response = await fetch(`${host.replace(/\/+$/, "")}${path}`, {
    method,
    headers: {
      authorization: `Basic ${btoa(`${writeKey}:`)}`,
      ...(body ? { "content-type": "application/json" } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(answer.error?.message ?? `HTTP ${response.status}`);
    error.code = answer.error?.code ?? "http_error";
    throw error;
  }
  return answer;
}

function fromBase64url(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4)), (c) => c.charCodeAt(0));
}

function sameBytes(buffer, bytes) {
  if (!buffer) return false;
  const a = new Uint8Array(buffer);
  return a.length === bytes.length && a.every((b, i) => b === bytes[i]);
}
