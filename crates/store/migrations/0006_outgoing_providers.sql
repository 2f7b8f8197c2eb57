-- The outgoing authentication an administrator configured by hand for a generic application:
-- one row per link and provider, its settings as JSON with secrets sealed.
CREATE TABLE outgoing_providers (
    link_id TEXT NOT NULL REFERENCES links (id) ON DELETE CASCADE,
    provider TEXT NOT NULL,
    config TEXT NOT NULL,
    PRIMARY KEY (link_id, provider)
);
