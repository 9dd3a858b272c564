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
	der        BYTEA  NOT NULL,
	fetched_at BIGINT NOT NULL
);

-- Every node removes the peer of a session that ended or moved to another
-- node as soon as the change commits, whoever made it (a node, or the admin
-- CLI): the trigger tells them on channel svpn_session. The payload is
-- "<session_id> <node>"; the 2 s reconcile loop is the fallback.
CREATE FUNCTION svpn_session_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		IF OLD.ended_at IS NULL THEN
			PERFORM pg_notify('svpn_session', OLD.session_id || ' ' || OLD.node);
		END IF;
	ELSIF (OLD.ended_at IS NULL AND NEW.ended_at IS NOT NULL) OR OLD.node IS DISTINCT FROM NEW.node THEN
		PERFORM pg_notify('svpn_session', NEW.session_id || ' ' || NEW.node);
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER sessions_notify AFTER UPDATE OR DELETE ON sessions
	FOR EACH ROW EXECUTE FUNCTION svpn_session_notify();
