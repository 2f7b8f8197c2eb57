-- Nonces shared by every node of a cluster, and leases that let one node run a background job
-- on behalf of all.
CREATE TABLE oauth_nonces (
    consumer_key TEXT NOT NULL,
    nonce_timestamp BIGINT NOT NULL,
    nonce TEXT NOT NULL,
    forget_after BIGINT NOT NULL,
    PRIMARY KEY (consumer_key, nonce_timestamp, nonce)
);

CREATE INDEX oauth_nonces_by_expiry ON oauth_nonces (forget_after);

CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
