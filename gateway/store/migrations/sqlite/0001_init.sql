-- SVPN gateway schema, version 1 (SQLite). Keep in step with
-- ../postgres/0001_init.sql: the two differ only in type spelling.
--
-- Times are Unix microseconds (UTC) in BIGINT columns: both backends compare
-- and sort them correctly and no driver reinterprets them.

CREATE TABLE users (
	user_id              TEXT    PRIMARY KEY,
	display_name         TEXT    NOT NULL DEFAULT '',
	group_name           TEXT    NOT NULL DEFAULT '',
	password_hash        TEXT    NOT NULL DEFAULT '',
	must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
	failed_attempts      INTEGER NOT NULL DEFAULT 0,
	locked               BOOLEAN NOT NULL DEFAULT FALSE,
	locked_at            BIGINT,
	lock_reason          TEXT    NOT NULL DEFAULT '',
	cert_subject         TEXT    NOT NULL DEFAULT '',
	cert_serial          TEXT    NOT NULL DEFAULT '',
	created_at           BIGINT  NOT NULL,
	updated_at           BIGINT  NOT NULL,
	password_changed_at  BIGINT
);

CREATE TABLE source_failures (
	id      INTEGER PRIMARY KEY,
	source  TEXT    NOT NULL,
	user_id TEXT    NOT NULL DEFAULT '',
	at      BIGINT  NOT NULL
);
CREATE INDEX source_failures_source_at ON source_failures (source, at);
CREATE INDEX source_failures_at ON source_failures (at);

CREATE TABLE sessions (
	session_id      TEXT   PRIMARY KEY,
	token_hash      TEXT   NOT NULL UNIQUE,
	user_id         TEXT   NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
	wg_public_key   TEXT   NOT NULL DEFAULT '',
	tunnel_addr     TEXT   NOT NULL DEFAULT '',
	source          TEXT   NOT NULL DEFAULT '',
	device          TEXT   NOT NULL DEFAULT '',
	node            TEXT   NOT NULL DEFAULT '',
	created_at      BIGINT NOT NULL,
	last_seen       BIGINT NOT NULL,
	idle_expires_at BIGINT NOT NULL,
	expires_at      BIGINT NOT NULL,
	ended_at        BIGINT,
	end_reason      TEXT   NOT NULL DEFAULT ''
);
CREATE INDEX sessions_active_user ON sessions (user_id) WHERE ended_at IS NULL;
CREATE INDEX sessions_active_idle ON sessions (idle_expires_at) WHERE ended_at IS NULL;
CREATE INDEX sessions_active_expires ON sessions (expires_at) WHERE ended_at IS NULL;
CREATE INDEX sessions_ended ON sessions (ended_at) WHERE ended_at IS NOT NULL;
-- A WireGuard key or a tunnel address belongs to at most one live session.
CREATE UNIQUE INDEX sessions_active_key ON sessions (wg_public_key) WHERE ended_at IS NULL AND wg_public_key <> '';
CREATE UNIQUE INDEX sessions_active_addr ON sessions (tunnel_addr) WHERE ended_at IS NULL AND tunnel_addr <> '';

-- One row per address ever handed out. The row keeps the last user after
-- release so that user gets the address back; session_id is NULL when free.
CREATE TABLE leases (
	addr_key    TEXT   PRIMARY KEY, -- 32 hex digits of the 16-byte form: sorts numerically
	addr        TEXT   NOT NULL,
	user_id     TEXT   NOT NULL,
	session_id  TEXT   UNIQUE,
	acquired_at BIGINT NOT NULL,
	released_at BIGINT
);
CREATE INDEX leases_user ON leases (user_id);
CREATE INDEX leases_free ON leases (released_at) WHERE session_id IS NULL;

CREATE TABLE revoked_certs (
	serial     TEXT   NOT NULL, -- lower-case hex, no leading zeros
	issuer     TEXT   NOT NULL, -- issuer DN; '' matches any issuer
	reason     TEXT   NOT NULL DEFAULT '',
	revoked_at BIGINT NOT NULL,
	PRIMARY KEY (serial, issuer)
);

CREATE TABLE audit_log (
	id      INTEGER PRIMARY KEY,
	at      BIGINT  NOT NULL,
	event   TEXT    NOT NULL,
	user_id TEXT    NOT NULL DEFAULT '',
	source  TEXT    NOT NULL DEFAULT '',
	node    TEXT    NOT NULL DEFAULT '',
	code    TEXT    NOT NULL DEFAULT '',
	detail  TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_user_at ON audit_log (user_id, at);
