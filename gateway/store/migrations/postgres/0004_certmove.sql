-- Version 4 (assigned 0006; renumbered to the next free number on merge):
-- the certificate-move relay (package certmove). A slot holds only what
-- the relay passes between the two PCs: CPace messages, key-confirmation
-- tags and AEAD ciphertext. Its contents are wiped when the receiver
-- acknowledges or a key confirmation fails; the row goes when the sender
-- has seen the outcome or shortly after it expires.
CREATE TABLE certmove_slots (
	slot_id        TEXT    PRIMARY KEY,
	user_id        TEXT    NOT NULL,
	slot_no        TEXT    NOT NULL,  -- the code's public first three digits
	cert_key       TEXT    NOT NULL,  -- SHA-256 of the (public) certificate, for the device count
	delete_after   BOOLEAN NOT NULL DEFAULT FALSE,
	sender_token   TEXT    NOT NULL,  -- SHA-256 of the sender's slot token
	receiver_token TEXT    NOT NULL DEFAULT '',
	stage          INTEGER NOT NULL,  -- protocol step reached; -1 burnt
	msg_a          BYTEA,
	msg_b          BYTEA,
	tag_a          BYTEA,
	payload        BYTEA,
	created_at     BIGINT  NOT NULL,
	expires_at     BIGINT  NOT NULL,
	UNIQUE (user_id, slot_no)
);
CREATE INDEX certmove_slots_expires ON certmove_slots (expires_at);

-- Completed moves that left a copy on the sending PC, per certificate: the
-- policy's maximum devices per certificate counts them.
CREATE TABLE certmove_devices (
	cert_key   TEXT    PRIMARY KEY,
	user_id    TEXT    NOT NULL,
	moves      INTEGER NOT NULL,
	updated_at BIGINT  NOT NULL
);
