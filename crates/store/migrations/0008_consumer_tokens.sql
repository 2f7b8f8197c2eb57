-- Tokens this application holds as a consumer: the access token each user has at each linked
-- application (value, secret and session handle sealed), and the login dances in progress,
-- found by the digest of their request token.
CREATE TABLE consumer_tokens (
    link_id TEXT NOT NULL REFERENCES links (id) ON DELETE CASCADE,
    username TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    token_sealed TEXT NOT NULL,
    secret_sealed TEXT NOT NULL,
    session_handle_sealed TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (link_id, username)
);

CREATE INDEX consumer_tokens_by_user ON consumer_tokens (username);

CREATE TABLE consumer_request_tokens (
    token_digest TEXT PRIMARY KEY,
    link_id TEXT NOT NULL REFERENCES links (id) ON DELETE CASCADE,
    username TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    secret_sealed TEXT NOT NULL,
    return_to TEXT,
    created_at BIGINT NOT NULL
);

CREATE INDEX consumer_request_tokens_by_user_link ON consumer_request_tokens (username, link_id);
