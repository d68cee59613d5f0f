// Schema, PostgreSQL dialect, shared by the pg and PGlite stores. A TypeScript array rather than .sql files
// so `tsc` ships it in dist/ with no copy step. Append only: an applied migration is never edited (the
// runner refuses a name mismatch), a change is a new version.

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'committed frs, commit outbox, outcomes, shipments',
    sql: `
      -- One row per FR ever committed. The primary key is the idempotency fence of the commit step.
      CREATE TABLE committed_frs (
        source_id    bigint      NOT NULL,
        fr_id        bigint      NOT NULL,
        fr_number    text,
        workflow_id  text        NOT NULL,
        fr           jsonb       NOT NULL,
        decision     jsonb       NOT NULL,
        committed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (source_id, fr_id)
      );

      -- The side effect of a first commit (what a downstream relay would deliver to the ERP/WMS), written
      -- in the same transaction as the FR row, so it exists exactly once per committed FR.
      CREATE TABLE commit_outbox (
        id          bigserial   PRIMARY KEY,
        source_id   bigint      NOT NULL,
        fr_id       bigint      NOT NULL,
        kind        text        NOT NULL,
        payload     jsonb       NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        UNIQUE (source_id, fr_id, kind)
      );

      -- Separate from committed_frs because an FR can end before it is committed (a handler rejection
      -- marks it processing-failed) and that outcome must still be recorded.
      CREATE TABLE fr_outcomes (
        source_id   bigint      NOT NULL,
        fr_id       bigint      NOT NULL,
        outcome     text        NOT NULL,
        updated_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (source_id, fr_id)
      );

      CREATE TABLE shipments (
        source_id            bigint      NOT NULL,
        fr_id                bigint      NOT NULL,
        tracking_number      text        NOT NULL,
        shipment             jsonb       NOT NULL,
        flxpoint_shipment_id bigint,
        recorded_at          timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (source_id, fr_id, tracking_number)
      );
    `,
  },
  {
    version: 2,
    name: 'shadow mode: shadow frs, outcomes, shipments and recorded writes',
    sql: `
      -- Shadow mode (FLXPOINT_MODE=shadow, store/shadow-store.ts): what a shadow worker committed, and every
      -- write it would have sent to Flxpoint. Tables of their own, so a shadow commit can never make the live
      -- commit of the same FR a no-op (committed_frs' key is the FR) and no relay of commit_outbox ever sees
      -- a shadow decision.
      CREATE TABLE shadow_frs (
        source_id    bigint      NOT NULL,
        fr_id        bigint      NOT NULL,
        fr_number    text,
        workflow_id  text        NOT NULL,
        fr           jsonb       NOT NULL,
        decision     jsonb       NOT NULL,
        committed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (source_id, fr_id)
      );

      CREATE TABLE shadow_outcomes (
        source_id   bigint      NOT NULL,
        fr_id       bigint      NOT NULL,
        outcome     text        NOT NULL,
        updated_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (source_id, fr_id)
      );

      CREATE TABLE shadow_shipments (
        source_id       bigint      NOT NULL,
        fr_id           bigint      NOT NULL,
        tracking_number text        NOT NULL,
        shipment        jsonb       NOT NULL,
        recorded_at     timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (source_id, fr_id, tracking_number)
      );

      -- One row per write request a shadow workflow made. The key is the activity attempt's identity (run,
      -- activity, n-th write of that activity), so a retried activity records its request once.
      CREATE TABLE shadow_writes (
        workflow_id text        NOT NULL,
        run_id      text        NOT NULL,
        activity_id text        NOT NULL,
        seq         integer     NOT NULL,
        source_id   bigint      NOT NULL,
        fr_id       bigint,
        endpoint    text        NOT NULL,
        method      text        NOT NULL,
        path        text        NOT NULL,
        query       jsonb,
        body        jsonb,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workflow_id, run_id, activity_id, seq)
      );
      CREATE INDEX shadow_writes_by_fr ON shadow_writes (source_id, fr_id);
    `,
  },
  {
    version: 3,
    name: 'request slots shared by worker replicas',
    sql: `
      -- One row per source: the earliest moment the next Flxpoint request of that source's token may leave
      -- any worker process (store/request-slots.ts). The row lock serializes replicas; the database clock
      -- is the one clock they share.
      CREATE TABLE flxpoint_request_slots (
        source_id bigint      PRIMARY KEY,
        next_slot timestamptz NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: 'inventory push: per-SKU confirmed state, variant ids, per-run staging',
    sql: `
      -- Per source and SKU (store/inventory-store.ts): the inventoryVariantId Flxpoint gave it (learned once
      -- through GET /inventory/variants) and what Flxpoint last confirmed for it. A run pushes a SKU only
      -- when the source now says something else than \`pushed\`; a push that failed leaves it as it was, so
      -- the next run pushes it again.
      CREATE TABLE inventory_skus (
        source_id   bigint      NOT NULL,
        sku         text        NOT NULL,
        variant_id  bigint,
        pushed      jsonb,
        pushed_at   timestamptz,
        last_error  text,
        PRIMARY KEY (source_id, sku)
      );

      -- The delta of one sync run (run_key = the first run's workflow and run id), computed once by an
      -- activity, so the catalog never passes through a workflow history: the workflow holds counts and the
      -- batch cursor only. status: pending (to push), unknown (Flxpoint has no such SKU), confirmed, failed.
      CREATE TABLE inventory_sync_rows (
        run_key     text        NOT NULL,
        source_id   bigint      NOT NULL,
        sku         text        NOT NULL,
        row         jsonb       NOT NULL,
        disappeared boolean     NOT NULL DEFAULT false,
        variant_id  bigint,
        looked_up   boolean     NOT NULL DEFAULT false,
        batch       integer,
        status      text        NOT NULL DEFAULT 'pending',
        error       text,
        created_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (run_key, sku)
      );
      CREATE INDEX inventory_sync_rows_by_batch ON inventory_sync_rows (run_key, batch);
    `,
  },
  {
    version: 5,
    name: 'inventory push: planned lookup pages, unknown SKUs tried for creation',
    sql: `
      -- A run numbers the SKUs it must look up into pages of 100 once (lookup_page), so several lookups can
      -- be in flight at a time, each with its own page, and a retried lookup asks for the same SKUs.
      ALTER TABLE inventory_sync_rows ADD COLUMN lookup_page integer;
      -- An unknown SKU this run already tried to create through POST /inventory/parents (once per run).
      ALTER TABLE inventory_sync_rows ADD COLUMN create_tried boolean NOT NULL DEFAULT false;
      CREATE INDEX inventory_sync_rows_by_lookup_page ON inventory_sync_rows (run_key, lookup_page);
    `,
  },
];
