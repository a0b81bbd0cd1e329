import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DIALECTS } from "../testing/dialects";
import { useStore } from "../testing/use-store";
import { withCustomerWriter } from "./with-writer";

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] customer writer`, { skip: dialect.skip }, () => {
    const ctx = useStore(dialect);

    it("counts a counter's hits per window exactly up to the cap, from the newest hits", async () => {
      const counts = await withCustomerWriter(ctx.store, "bus_hits", async (w) => {
        for (let t = 1; t <= 10; t++) await w.insertHit("cus_a", "c1", t * 1_000, `evt_${t}`);
        await w.insertHit("cus_a", "c2", 5_000, "evt_other");
        await w.insertHit("cus_b", "c1", 9_000, "evt_b");
        return {
          exact: await w.countHits("cus_a", "c1", [null, 8_000, 10_001], 100),
          // The newest 4 hits (10, 9, 8, 7 s): ever is cut at the cap, since 8 s is exact.
          capped: await w.countHits("cus_a", "c1", [null, 8_000], 4),
          atCap: await w.countHits("cus_a", "c1", [7_000], 4),
        };
      });
      assert.deepEqual(counts.exact, [10, 3, 0]);
      assert.deepEqual(counts.capped, [4, 3]);
      assert.deepEqual(counts.atCap, [4]);
    });
  });
}
