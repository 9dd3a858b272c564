-- Version 2: cluster-wide secrets and spent login challenges.

-- Secrets every gateway node shares (the challenge HMAC key, the
-- password-change token key), created by the first node that needs them.
CREATE TABLE secrets (
	name       TEXT   PRIMARY KEY,
	value      BLOB  NOT NULL,
	created_at BIGINT NOT NULL
);

-- Challenges already answered, kept until they expire, so a login
-- challenge is accepted once on any node.
CREATE TABLE used_challenges (
	id         TEXT   PRIMARY KEY,
	expires_at BIGINT NOT NULL
);
CREATE INDEX used_challenges_expires ON used_challenges (expires_at);
