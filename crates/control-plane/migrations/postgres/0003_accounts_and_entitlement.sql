-- Accounts: every token carries its user's token_version; bumping the version (password
-- change, role change) revokes every token issued before it. A single token (the refresh
-- token a logout hands back) is revoked by its id until it would have expired anyway.
ALTER TABLE users ADD COLUMN token_version BIGINT NOT NULL DEFAULT 1;
CREATE TABLE revoked_tokens (
    jti VARCHAR(64) PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX idx_revoked_tokens_expires ON revoked_tokens(expires_at);
CREATE INDEX idx_login_attempts_window ON login_attempts(window_start);

-- The enterprise features the proxies' snapshots carry (comma-separated, sorted). When the
-- license's entitlement changes, this row and every cluster's config_version change in one
-- transaction, so each snapshot version has one meaning and a lapsed license reaches the
-- data plane at once.
CREATE TABLE served_entitlement (
    id INTEGER PRIMARY KEY,
    features TEXT NOT NULL
);
INSERT INTO served_entitlement (id, features) VALUES (1, '');
