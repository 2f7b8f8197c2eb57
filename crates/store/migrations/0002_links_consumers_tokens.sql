-- Application links, their incoming OAuth consumers, and the tokens issued to those consumers.
CREATE TABLE links (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    type_id TEXT NOT NULL,
    display_url TEXT NOT NULL,
    rpc_url TEXT NOT NULL,
    is_primary BIGINT NOT NULL,
    is_system BIGINT NOT NULL,
    outgoing_oauth BIGINT NOT NULL,
    outgoing_two_lo BIGINT NOT NULL,
    outgoing_two_lo_impersonation BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE INDEX links_by_type ON links (type_id);

CREATE TABLE consumers (
    consumer_key TEXT PRIMARY KEY,
    link_id TEXT NOT NULL UNIQUE REFERENCES links (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    public_key TEXT,
    shared_secret TEXT,
    callback TEXT,
    three_lo_allowed BIGINT NOT NULL,
    two_lo_allowed BIGINT NOT NULL,
    two_lo_execute_as TEXT,
    two_lo_impersonation_allowed BIGINT NOT NULL
);

CREATE TABLE oauth_tokens (
    digest TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    consumer_key TEXT NOT NULL REFERENCES consumers (consumer_key) ON DELETE CASCADE,
    secret TEXT NOT NULL,
    username TEXT REFERENCES users (username) ON DELETE CASCADE,
    callback TEXT,
    verifier_digest TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    session_handle_digest TEXT,
    session_expires_at BIGINT
);

CREATE INDEX oauth_tokens_by_user ON oauth_tokens (username);
CREATE INDEX oauth_tokens_by_consumer ON oauth_tokens (consumer_key);
