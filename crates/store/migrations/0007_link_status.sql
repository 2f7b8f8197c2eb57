-- The last background check of each link.
CREATE TABLE link_status (
    link_id TEXT PRIMARY KEY REFERENCES links (id) ON DELETE CASCADE,
    checked_at BIGINT NOT NULL,
    working BIGINT NOT NULL,
    error_category TEXT,
    error_type TEXT,
    details TEXT
);
