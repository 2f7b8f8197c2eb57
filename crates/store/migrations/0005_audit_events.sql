-- Every administrative change, newest found by `recorded_micros`.
CREATE TABLE audit_events (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    recorded_micros BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    before_state TEXT,
    after_state TEXT
);

CREATE INDEX audit_events_by_time ON audit_events (recorded_micros);
