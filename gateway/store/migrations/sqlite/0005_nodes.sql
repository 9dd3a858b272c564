-- Version 4: the gateway nodes of a cluster, each with its heartbeat. A
-- session's node (sessions.node) is the one holding its WireGuard peer; a
-- client that moves to another node moves its session there.
CREATE TABLE nodes (
	node_id      TEXT    PRIMARY KEY,
	api_url      TEXT    NOT NULL DEFAULT '',
	wg_endpoint  TEXT    NOT NULL DEFAULT '',
	started_at   BIGINT  NOT NULL,
	heartbeat_at BIGINT  NOT NULL,
	draining     BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX sessions_active_node ON sessions (node) WHERE ended_at IS NULL;

-- CRLs fetched by the node that held the refresh job, for the others.
CREATE TABLE crl_cache (
	source     TEXT   PRIMARY KEY,
	der        BLOB   NOT NULL,
	fetched_at BIGINT NOT NULL
);
