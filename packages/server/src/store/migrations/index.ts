import type { Kysely } from "kysely";
import type { DialectName } from "../store";
import * as m0001 from "./0001_foundation";
import * as m0002 from "./0002_customers_events_segments";
import * as m0003 from "./0003_journeys";
import * as m0004 from "./0004_installation_secrets";
import * as m0005 from "./0005_clustered_hits_and_members";
import * as m0006 from "./0006_import_progress";
import * as m0007 from "./0007_membership_log_commit_order";
import * as m0008 from "./0008_claimable_deliveries";
import * as m0009 from "./0009_attributes_sqlite_can_read";
import * as m0010 from "./0010_sign_in_throttles";
import * as m0011 from "./0011_deliveries_by_provider_id";
import * as m0012 from "./0012_send_rates";
import * as m0013 from "./0013_unique_names";

/**
 * Numbered migrations, applied in order on start and by `journeys migrate`.
 * Never edit one that has landed: add the next number.
 */
export const MIGRATIONS: ReadonlyArray<{
  name: string;
  up: (db: Kysely<unknown>, dialect: DialectName) => Promise<void>;
}> = [
  { name: "0001_foundation", up: m0001.up },
  { name: "0002_customers_events_segments", up: m0002.up },
  { name: "0003_journeys", up: m0003.up },
  { name: "0004_installation_secrets", up: m0004.up },
  { name: "0005_clustered_hits_and_members", up: m0005.up },
  { name: "0006_import_progress", up: m0006.up },
  { name: "0007_membership_log_commit_order", up: m0007.up },
  { name: "0008_claimable_deliveries", up: m0008.up },
  { name: "0009_attributes_sqlite_can_read", up: m0009.up },
  { name: "0010_sign_in_throttles", up: m0010.up },
  { name: "0011_deliveries_by_provider_id", up: m0011.up },
  { name: "0012_send_rates", up: m0012.up },
  { name: "0013_unique_names", up: m0013.up },
];
