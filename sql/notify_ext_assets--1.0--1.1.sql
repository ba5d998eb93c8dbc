/* notify_ext_assets--1.0--1.1.sql: from 1.0 to 1.1 (ALTER EXTENSION notify_ext_assets UPDATE) */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION notify_ext_assets UPDATE TO '1.1'" to load this file. \quit

/*
 * Every change to sql/notify_ext_assets.sql since 1.0, in the same order.
 * test/t/012_upgrade.pl checks that 1.0 plus this script gives the same
 * objects as a fresh 1.1.
 */

/*
 * Jobs.  A job has a type (IMPORT, TRANSCODE, ...), a status (READY,
 * STARTED, ..., FINISHED, FINISHED_WARNING, FAILED_TOTAL, ABORTED), a current
 * step with its status, and job data (a JSON object of key/value pairs, such
 * as {"itemId": "VX-12"}; item_id is the item the job works on).  A job
 * started with a placeholder job notification names it in notification_id
 * (with notification_data, extra data for that job's notifications):
 * that notification then fires for this job.  INSERT raises job create, a
 * change of status job update, and stop, finished or fail when the job
 * stops running.
 */
CREATE TABLE notify.job (
	id			text PRIMARY KEY
				DEFAULT 'VX-' OPERATOR(pg_catalog.||) pg_catalog.nextval('notify.entity_id_seq'::pg_catalog.regclass)::text,
	type		text NOT NULL,
	status		text NOT NULL DEFAULT 'READY',
	current_step integer NOT NULL DEFAULT 0,
	step_status	text,
	total_steps	integer,
	item_id		text REFERENCES notify.item (id) ON DELETE SET NULL,
	data		jsonb NOT NULL DEFAULT '{}'
				CHECK (pg_catalog.jsonb_typeof(data) OPERATOR(pg_catalog.=) 'object'),
	error_message text,
	notification_id text,
	notification_data text,
	started_by	name NOT NULL DEFAULT CURRENT_USER,
	started_at	timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX ON notify.job (status);
COMMENT ON TABLE notify.job IS
	'API: public. Jobs; INSERT raises job create, a status change job update, and job stop, finished or fail when the job stops running.  notification_id names a placeholder job notification that fires for this job.';
SELECT pg_catalog.pg_extension_config_dump('notify.job', '');
REVOKE ALL ON notify.job FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON notify.job TO notify_admin;

/* capture on notify.job, when notify_ext is installed already */
DO $attach$
BEGIN
	IF EXISTS (SELECT 1 FROM pg_catalog.pg_extension
				WHERE extname OPERATOR(pg_catalog.=) 'notify_ext') THEN
		PERFORM notify.attach_shipped_assets();
	END IF;
END
$attach$;
