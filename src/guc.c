/*-------------------------------------------------------------------------
 *
 * guc.c
 *	  Definition of every notify_ext.* configuration parameter.
 *
 * All settings live here so that the README's configuration table has one
 * source.  notify_ext_guc_init() defines what the SQL functions and the
 * capture trigger need, in every backend that loads the library;
 * notify_ext_guc_init_worker() adds the delivery settings, only when the
 * library is preloaded (they mean nothing without the worker).
 *
 * The list settings (databases, allowed_hosts, denied_hosts) have check
 * hooks that parse a new value with the parser its reader uses, so that a
 * bad value is refused at SET, ALTER SYSTEM and reload with a message
 * naming the entry at fault, and the setting keeps its last good value.
 * One exception: the value read from the configuration at server start,
 * while shared_preload_libraries is processed, is accepted as it is,
 * because refusing it would fall back to the empty default, which means
 * "every database" and "every host": the readers then handle it as they
 * always have (denied_hosts with an invalid entry refuses every host,
 * allowed_hosts skips the entry, databases serves none), with a WARNING
 * or LOG of their own.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/guc.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/varlena.h"

#include "guc.h"
#include "common/text_escape.h"
#include "transport/hostcheck.h"

static bool check_databases(char **newval, void **extra, GucSource source);
static bool check_host_list(char **newval, void **extra, GucSource source);

int			notify_ext_max_document_size = 65536;

char	   *notify_ext_databases = NULL;
int			notify_ext_max_databases = 16;
int			notify_ext_delivery_processes = 1;
int			notify_ext_naptime = 1000;
int			notify_ext_launcher_naptime = 10000;
int			notify_ext_batch_size = 1000;
int			notify_ext_max_inflight = 128;
int			notify_ext_max_host_connections = 8;
int			notify_ext_max_inflight_per_endpoint = 64;
int			notify_ext_breaker_failures = 5;
int			notify_ext_breaker_delay = 5000;
bool		notify_ext_worker_synchronous_commit = false;
int			notify_ext_max_buffered = 20000;
int			notify_ext_connect_timeout = 10;
int			notify_ext_lease = 300;
int			notify_ext_function_timeout = 10000;
int			notify_ext_backoff_base = 1000;
int			notify_ext_backoff_max = 300000;
int			notify_ext_retention_delivered = 3600;
int			notify_ext_retention_failed = 7 * 24 * 3600;
char	   *notify_ext_allowed_hosts = NULL;
char	   *notify_ext_denied_hosts = NULL;
int			notify_ext_sync_timeout_max = 10000;
bool		notify_ext_delivery_settings = false;
int			notify_ext_ingest_poll_wait = 20;
int			notify_ext_ingest_batch_size = 10;
int			notify_ext_ingest_scan_page_size = 1000;

/*
 * notify_ext_guc_init
 *		Define the settings needed by the SQL API and the capture trigger.
 */
void
notify_ext_guc_init(void)
{
	DefineCustomIntVariable("notify_ext.max_document_size",
							"Largest NotificationDocument accepted, in bytes.",
							"Larger XML or JSON documents are refused before "
							"parsing. Range 1kB to 1MB.",
							&notify_ext_max_document_size,
							65536, 1024, 1024 * 1024,
							PGC_SUSET, GUC_UNIT_BYTE,
							NULL, NULL, NULL);
}

/*
 * notify_ext_guc_init_worker
 *		Define the delivery settings.  Called from _PG_init only while
 *		shared_preload_libraries is being processed.
 */
void
notify_ext_guc_init_worker(void)
{
	DefineCustomStringVariable("notify_ext.databases",
							   "Databases the delivery worker serves.",
							   "Comma-separated database names. Empty means "
							   "every database in which the extension is installed.",
							   &notify_ext_databases, "",
							   PGC_SIGHUP, 0, check_databases, NULL, NULL);
	DefineCustomIntVariable("notify_ext.max_databases",
							"Most databases served at once (one worker each).",
							"Each served database uses one background worker slot "
							"(max_worker_processes). Range 1 to 128.",
							&notify_ext_max_databases, 16, 1, 128,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("notify_ext.delivery_processes",
							"Delivery processes per served database.",
							"Lanes are divided among them by a hash of the lane, "
							"so every ordering promise holds; each uses one "
							"background worker slot. Range 1 to "
							CppAsString2(NOTIFY_MAX_DELIVERY_PROCESSES) ".",
							&notify_ext_delivery_processes, 1, 1,
							NOTIFY_MAX_DELIVERY_PROCESSES,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("notify_ext.naptime",
							"Longest sleep of an idle delivery worker.",
							"Workers are woken at commit of every transaction "
							"that captured events; this timer is the backstop. "
							"Range 10 ms to 1 min.",
							&notify_ext_naptime, 1000, 10, 60000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("notify_ext.launcher_naptime",
							"How often the launcher looks for databases to serve.",
							"A capture in a database without a running worker "
							"wakes the launcher at once. Range 1 s to 1 h.",
							&notify_ext_launcher_naptime, 10000, 1000, 3600000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("notify_ext.batch_size",
							"Outbox rows read per query by a delivery worker.",
							"Range 1 to 100000.",
							&notify_ext_batch_size, 1000, 1, 100000,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("notify_ext.max_inflight",
							"Most deliveries in flight at once per database.",
							"Range 1 to 10000.",
							&notify_ext_max_inflight, 128, 1, 10000,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("notify_ext.max_inflight_per_endpoint",
							"Most deliveries in flight at once to one endpoint (scheme, host and port).",
							"Capped by notify_ext.max_inflight, so that an endpoint that "
							"hangs cannot take every slot. Range 1 to 10000.",
							&notify_ext_max_inflight_per_endpoint, 64, 1, 10000,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("notify_ext.breaker_failures",
							"Consecutive failed attempts that open an endpoint's circuit breaker.",
							"A failure is no complete answer (connection refused, "
							"timeout) or a 5xx status. 0 disables the breaker. "
							"Range 0 to 10000.",
							&notify_ext_breaker_failures, 5, 0, 10000,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("notify_ext.breaker_delay",
							"How long an open circuit breaker waits before its probe attempt.",
							"Range 10 ms to 1 h.",
							&notify_ext_breaker_delay, 5000, 10, 3600000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomBoolVariable("notify_ext.worker_synchronous_commit",
							 "Whether the delivery worker's own commits wait for their WAL to be flushed.",
							 "Off (the default): claims, recorded outcomes, the purge and lock "
							 "expiries commit with synchronous_commit = off; a commit lost in a "
							 "crash means an event is sent again (at least once). In-database "
							 "actions keep the session's setting.",
							 &notify_ext_worker_synchronous_commit, false,
							 PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("notify_ext.max_host_connections",
							"Most keep-alive connections to one host.",
							"Range 1 to 1000.",
							&notify_ext_max_host_connections, 8, 1, 1000,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("notify_ext.max_buffered",
							"Most undelivered events a worker holds in memory.",
							"Events are read ahead of delivery to keep every "
							"lane busy. Range 100 to 1000000.",
							&notify_ext_max_buffered, 20000, 100, 1000000,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("notify_ext.connect_timeout",
							"Timeout for opening a connection to a receiver.",
							"Range 1 s to 5 min.",
							&notify_ext_connect_timeout, 10, 1, 300,
							PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("notify_ext.lease",
							"Lease written on claimed events (lease_until).",
							"For monitoring only: an event whose lease ran out is "
							"not claimed again; a starting worker takes back every "
							"claimed event. Range 10 s to 1 day.",
							&notify_ext_lease, 300, 10, 86400,
							PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("notify_ext.function_timeout",
							"Time limit of one call of a <function> action.",
							"A call that takes longer is cancelled and counts as "
							"a failed attempt. 0 means no limit. Range 0 to 1 h.",
							&notify_ext_function_timeout, 10000, 0, 3600000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("notify_ext.backoff_base",
							"Delay before the first retry of a failed delivery.",
							"Each further retry doubles it, with jitter, up to "
							"notify_ext.backoff_max. Range 10 ms to 1 h.",
							&notify_ext_backoff_base, 1000, 10, 3600000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("notify_ext.backoff_max",
							"Longest delay between two delivery attempts.",
							"Also caps a receiver's Retry-After. Range 10 ms to 1 day.",
							&notify_ext_backoff_max, 300000, 10, 86400000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("notify_ext.retention_delivered",
							"How long delivered events are kept.",
							"0 removes them at once. Range 0 to 1 year.",
							&notify_ext_retention_delivered, 3600, 0, 31536000,
							PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("notify_ext.retention_failed",
							"How long events that failed for good are kept.",
							"Range 0 to 1 year.",
							&notify_ext_retention_failed, 7 * 24 * 3600, 0, 31536000,
							PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomStringVariable("notify_ext.allowed_hosts",
							   "Hosts and networks receivers may be at.",
							   "Comma-separated host names, IP addresses and "
							   "CIDR networks. Empty allows every host not denied. "
							   "Link-local addresses (169.254.0.0/16, fe80::/10) "
							   "are refused unless listed here.",
							   &notify_ext_allowed_hosts, "",
							   PGC_SIGHUP, GUC_SUPERUSER_ONLY, check_host_list, NULL, NULL);
	DefineCustomStringVariable("notify_ext.denied_hosts",
							   "Hosts and networks receivers may not be at.",
							   "Comma-separated host names, IP addresses and "
							   "CIDR networks; checked before allowed_hosts.",
							   &notify_ext_denied_hosts, "",
							   PGC_SIGHUP, GUC_SUPERUSER_ONLY, check_host_list, NULL, NULL);
	DefineCustomIntVariable("notify_ext.sync_timeout_max",
							"Longest time one synchronous action may hold the "
							"changing transaction.",
							"Caps the timeout of every synchronous action; an "
							"action timeout of 0 or none means this cap. "
							"Range 1 ms to 1 h.",
							&notify_ext_sync_timeout_max, 10000, 1, 3600000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("notify_ext.ingest_poll_wait",
							"Long-poll wait of the S3 ingest poller's SQS ReceiveMessage.",
							"WaitTimeSeconds of each receive; 0 polls without "
							"waiting. Range 0 to 20 s.",
							&notify_ext_ingest_poll_wait, 20, 0, 20,
							PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("notify_ext.ingest_batch_size",
							"Most SQS messages the S3 ingest poller receives at once.",
							"MaxNumberOfMessages of each receive. Range 1 to 10.",
							&notify_ext_ingest_batch_size, 10, 1, 10,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("notify_ext.ingest_scan_page_size",
							"Objects per page of an S3 bucket scan.",
							"max-keys of each ListObjectsV2 request; one page "
							"is held in memory at a time. Range 1 to 1000.",
							&notify_ext_ingest_scan_page_size, 1000, 1, 1000,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	notify_ext_delivery_settings = true;
}

/*
 * check_databases
 *		Check hook of notify_ext.databases: a comma-separated list of
 *		database names, read as the launcher reads it
 *		(SplitIdentifierString).  Refuses anything else, except at server
 *		start (see the file header).
 */
static bool
check_databases(char **newval, void **extra, GucSource source)
{
	char	   *raw;
	List	   *names;
	bool		ok;

	if (*newval == NULL || (*newval)[0] == '\0' ||
		process_shared_preload_libraries_in_progress)
		return true;
	raw = pstrdup(*newval);
	ok = SplitIdentifierString(raw, ',', &names);
	list_free(names);
	pfree(raw);
	if (!ok)
	{
		GUC_check_errdetail("The value is not a comma-separated list of database names.");
		GUC_check_errhint("Double-quote a name that holds a comma, a space or upper-case letters.");
	}
	return ok;
}

/*
 * check_host_list
 *		Check hook of notify_ext.allowed_hosts and notify_ext.denied_hosts:
 *		every entry must be a host name, an IP address or a CIDR network, by
 *		the transport's own parser (http_host_list_valid).  Refuses anything
 *		else, except at server start (see the file header).
 */
static bool
check_host_list(char **newval, void **extra, GucSource source)
{
	char	   *bad = NULL;

	if (*newval == NULL || process_shared_preload_libraries_in_progress)
		return true;
	if (http_host_list_valid(*newval, &bad))
		return true;
	GUC_check_errdetail("Entry \"%s\" is not a host name, an IP address or a CIDR network such as 10.0.0.0/8 or fd00::/8.",
						notify_quote_value(bad));
	return false;
}
