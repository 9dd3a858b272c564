-- Version 3: atomic per-source login limits, certificate bindings by issuer
-- and serial, and the identity number checked at the first-login binding.

-- One row per source address: the current rate-limit window and the login
-- attempts reserved in it. ReserveSourceAttempt updates it in a single
-- upsert, so concurrent logins from one address cannot overshoot the limit.
CREATE TABLE source_attempts (
	source       TEXT    PRIMARY KEY,
	window_start BIGINT  NOT NULL,
	window_end   BIGINT  NOT NULL,
	attempts     INTEGER NOT NULL
);
CREATE INDEX source_attempts_window_end ON source_attempts (window_end);

-- The issuer DN of the bound certificate (certstore.IssuerString): a serial
-- number is unique only per issuer.
ALTER TABLE users ADD COLUMN cert_issuer TEXT NOT NULL DEFAULT '';

-- The resident/identity number an administrator registered so that the
-- first-login binding can check the certificate's VID; cleared when a
-- certificate is bound.
ALTER TABLE users ADD COLUMN identity_number TEXT NOT NULL DEFAULT '';

-- Password attempts being evaluated (reserved before hashing, settled after)
-- and when the last was reserved; failed_attempts counts settled failures.
ALTER TABLE users ADD COLUMN pending_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN pending_since BIGINT NOT NULL DEFAULT 0;
