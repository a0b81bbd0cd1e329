import { writeJson } from "../store/json";
import type { Store } from "../store/store";

/**
 * What an email journey needs to pass activation, written straight to the store: an email
 * template `tpl_hi` and an SMTP channel (nothing listens on its port; tests that send bring
 * their own server).
 */
export async function emailSetUp(store: Store, businessId: string, at: number): Promise<void> {
  await store.db
    .insertInto("templates")
    .values({
      business_id: businessId,
      id: "tpl_hi",
      name: "Hi",
      channel: "email",
      content: writeJson({ subject: "Hi", body: "<p>Hi</p>" }),
      transactional: 0,
      created_at: at,
      updated_at: at,
    })
    .execute();
  await store.db
    .insertInto("channels")
    .values({
      business_id: businessId,
      channel: "email",
      provider: "smtp",
      config: writeJson({ host: "127.0.0.1", port: 2525, from: "a@example.com" }),
      updated_at: at,
    })
    .execute();
}
