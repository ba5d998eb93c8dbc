/*-------------------------------------------------------------------------
 *
 * guc.h
 *	  notify_ext.* configuration parameters.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/guc.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_GUC_H
#define NOTIFY_GUC_H

/* most delivery processes per database: one bit each in a wake mask */
#define NOTIFY_MAX_DELIVERY_PROCESSES 16

/* SQL API and capture */
extern int	notify_ext_max_document_size;

/* worker (defined only when preloaded) */
extern char *notify_ext_databases;
extern int	notify_ext_max_databases;
extern int	notify_ext_delivery_processes;
extern int	notify_ext_naptime;
extern int	notify_ext_launcher_naptime;
extern int	notify_ext_batch_size;
extern int	notify_ext_max_inflight;
extern int	notify_ext_max_inflight_per_endpoint;
extern int	notify_ext_breaker_failures;
extern int	notify_ext_breaker_delay;
extern bool notify_ext_worker_synchronous_commit;
extern int	notify_ext_max_host_connections;
extern int	notify_ext_max_buffered;
extern int	notify_ext_connect_timeout;
extern int	notify_ext_lease;
extern int	notify_ext_function_timeout;
extern int	notify_ext_backoff_base;
extern int	notify_ext_backoff_max;
extern int	notify_ext_retention_delivered;
extern int	notify_ext_retention_failed;
extern char *notify_ext_allowed_hosts;
extern char *notify_ext_denied_hosts;
extern int	notify_ext_sync_timeout_max;
extern bool notify_ext_delivery_settings;	/* the settings above exist */
extern int	notify_ext_ingest_poll_wait;
extern int	notify_ext_ingest_batch_size;
extern int	notify_ext_ingest_scan_page_size;

extern void notify_ext_guc_init(void);
extern void notify_ext_guc_init_worker(void);

#endif							/* NOTIFY_GUC_H */
