-- +goose Up
-- tickets are conversations handed to a human. At most one ticket per
-- conversation is open or claimed at a time; a claim is a lease that expires.
CREATE TABLE tickets (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id text NOT NULL,
    channel         text NOT NULL,
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'claimed', 'closed')),
    summary         text NOT NULL,
    code            text NOT NULL DEFAULT '',
    target          text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    claimed_by      text,
    claimed_at      timestamptz,
    lease_until     timestamptz
);
CREATE UNIQUE INDEX tickets_active_conversation ON tickets (conversation_id) WHERE status <> 'closed';
CREATE INDEX tickets_status_created ON tickets (status, created_at);

-- transcripts hold the redacted messages of a conversation. seq is global
-- and increasing, so replicas appending at once never collide.
CREATE TABLE transcripts (
    conversation_id text NOT NULL,
    seq             bigint GENERATED ALWAYS AS IDENTITY,
    role            text NOT NULL CHECK (role IN ('merchant', 'bot', 'agent')),
    text            text NOT NULL,
    at              timestamptz NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);

-- outcomes are merchants' verdicts on answers (解决了 / 没解决).
CREATE TABLE outcomes (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id text NOT NULL,
    passage_id      text NOT NULL,
    solved          boolean NOT NULL,
    at              timestamptz NOT NULL
);
CREATE INDEX outcomes_passage ON outcomes (passage_id);

-- +goose Down
DROP TABLE outcomes;
DROP TABLE transcripts;
DROP TABLE tickets;
