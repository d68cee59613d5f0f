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
];
