import type { Kysely } from "kysely";
import { sql } from "kysely";
import type { DialectName } from "../store";

/**
 * SQLite: `event_hits` and `segment_members` become WITHOUT ROWID tables, clustered on their
 * primary keys. Every column of a hit is in its key, so a rowid table stored each hit twice
 * (the table, and the index that enforces the key) and every hit cost two b-tree inserts; a
 * member likewise. Ingestion with 20 segments writes ~5% faster. PostgreSQL tables have no
 * rowid: nothing changes there.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  if (dialect !== "sqlite") return;
  await sql`create table event_hits_clustered (
      business_id text not null, customer_id text not null, counter text not null,
      timestamp bigint not null, event_id text not null,
      primary key (business_id, customer_id, counter, timestamp, event_id)) without rowid`.execute(db);
  await sql`insert into event_hits_clustered select business_id, customer_id, counter, timestamp, event_id from event_hits`.execute(
    db,
  );
  await sql`drop table event_hits`.execute(db);
  await sql`alter table event_hits_clustered rename to event_hits`.execute(db);

  await sql`create table segment_members_clustered (
      business_id text not null, segment_id text not null, customer_id text not null,
      since bigint not null,
      primary key (business_id, segment_id, customer_id)) without rowid`.execute(db);
  await sql`insert into segment_members_clustered select business_id, segment_id, customer_id, since from segment_members`.execute(
    db,
  );
  await sql`drop table segment_members`.execute(db);
  await sql`alter table segment_members_clustered rename to segment_members`.execute(db);
  await sql`create index segment_members_customer on segment_members (business_id, customer_id, segment_id)`.execute(
    db,
  );
}
