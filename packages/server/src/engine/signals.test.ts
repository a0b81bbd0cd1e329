import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DIALECTS } from "../testing/dialects";
import { useStore } from "../testing/use-store";
import { listenForWork, notifyWork } from "./signals";

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] work signals`, { skip: dialect.skip }, () => {
    const ctx = useStore(dialect);

    it("wakes this process on every call, and another process by NOTIFY after the last call", async () => {
      let local = 0;
      const stopLocal = await listenForWork(ctx.store, () => local++);
      // Another process: a second store on the same database, which hears only NOTIFYs.
      const other = ctx.store.sibling ? await ctx.store.sibling() : undefined;
      const heard: number[] = [];
      const stopOther = other ? await listenForWork(other, () => heard.push(Date.now())) : undefined;
      try {
        for (let i = 0; i < 200; i++) notifyWork(ctx.store);
        const lastCall = Date.now();
        assert.equal(local, 200);
        if (!other) return;
        for (let i = 0; i < 100 && (heard.length === 0 || heard.at(-1)! < lastCall); i++)
          await new Promise((resolve) => setTimeout(resolve, 20));
        // Coalesced: one NOTIFY on its way, one more after it for the calls made meanwhile.
        assert.ok(heard.length >= 1 && heard.length <= 2, `heard ${heard.length} NOTIFYs`);
        assert.ok(heard.at(-1)! >= lastCall, "a NOTIFY follows the last call");
      } finally {
        await stopLocal();
        await stopOther?.();
        await other?.close();
      }
    });
  });
}
