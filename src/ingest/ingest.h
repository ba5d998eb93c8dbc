/*-------------------------------------------------------------------------
 *
 * ingest.h
 *	  S3 ingest: storages on S3 buckets kept in sync from SQS event
 *	  messages and bucket scans.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/ingest/ingest.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_INGEST_H
#define NOTIFY_INGEST_H

#include "fmgr.h"

/* poller.c */
extern PGDLLEXPORT void notify_ext_ingest_main(Datum main_arg);

/* s3_key.c */
extern char *s3_key_decode(const char *key, int len);

#endif							/* NOTIFY_INGEST_H */
