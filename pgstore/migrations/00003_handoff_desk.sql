-- +goose Up
-- What agents need on a ticket besides the summary (why it opened, how
-- urgent, what the merchant supplied, what the bot already tried, the
-- escalation packet the merchant got), when desks last announced it, who
-- closed it, and each desk's own reference to it (the Telegram message that
-- announced it). lease_until now also holds a queued merchant's wait: the
-- bot stays silent until then, claimed or not.
ALTER TABLE tickets
    ADD COLUMN reason       text NOT NULL DEFAULT '',
    ADD COLUMN priority     text NOT NULL DEFAULT 'normal',
    ADD COLUMN lang         text NOT NULL DEFAULT 'zh',
    ADD COLUMN supplied     jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN considered   text[] NOT NULL DEFAULT '{}',
    ADD COLUMN steps        text[] NOT NULL DEFAULT '{}',
    ADD COLUMN packet       text NOT NULL DEFAULT '',
    ADD COLUMN announced_at timestamptz,
    ADD COLUMN closed_at    timestamptz,
    ADD COLUMN closed_by    text,
    ADD COLUMN desk_refs    jsonb NOT NULL DEFAULT '{}';
-- The active tickets are read on every sweep and queue position; closed
-- ones pile up.
CREATE INDEX tickets_active ON tickets (id) WHERE status <> 'closed';

-- +goose Down
DROP INDEX tickets_active;
ALTER TABLE tickets
    DROP COLUMN desk_refs,
    DROP COLUMN closed_by,
    DROP COLUMN closed_at,
    DROP COLUMN announced_at,
    DROP COLUMN packet,
    DROP COLUMN steps,
    DROP COLUMN considered,
    DROP COLUMN supplied,
    DROP COLUMN lang,
    DROP COLUMN priority,
    DROP COLUMN reason;
