-- Version 6: the QR logins of the mobile employee ID (gateway/mobileid.go),
-- shared by every node: svpnd starts one on a node and waits there, the
-- phone's requests may reach any node. A row is keyed by the SHA-256 of the
-- transaction code (the phone's bearer secret, never stored). state: 0
-- pending, 1 answered (verdict_user for an approval, verdict_code and
-- verdict_message for a refusal), 2 collected; every change of state is a
-- conditional UPDATE, so a transaction is answered and collected once.
CREATE TABLE mobile_logins (
	trx_hash        TEXT    PRIMARY KEY,
	nonce           TEXT    NOT NULL,
	short_code      TEXT    NOT NULL,
	wg_public_key   TEXT    NOT NULL,
	user_id         TEXT    NOT NULL DEFAULT '',  -- the account asked for, '' for any
	binding         BLOB    NOT NULL,             -- tls-exporter of svpnd's connection
	source          TEXT    NOT NULL,
	host            TEXT    NOT NULL,
	node            TEXT    NOT NULL DEFAULT '',  -- the node that started it
	state           INTEGER NOT NULL DEFAULT 0,
	verdict_user    TEXT    NOT NULL DEFAULT '',
	verdict_code    TEXT    NOT NULL DEFAULT '',
	verdict_message TEXT    NOT NULL DEFAULT '',
	created_at      BIGINT  NOT NULL,
	expires_at      BIGINT  NOT NULL
);
CREATE INDEX mobile_logins_node ON mobile_logins (node, state);
CREATE INDEX mobile_logins_expires ON mobile_logins (expires_at);
