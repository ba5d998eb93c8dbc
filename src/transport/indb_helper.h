/*-------------------------------------------------------------------------
 *
 * indb_helper.h
 *	  The process that runs the delivery worker's in-database actions.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/transport/indb_helper.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_INDB_HELPER_H
#define NOTIFY_INDB_HELPER_H

#include "transport/transport.h"

typedef enum HelperSend
{
	HELPER_SENT,
	HELPER_BUSY,				/* queue full: send the same request later */
	HELPER_GONE					/* the helper is not there */
} HelperSend;

/* indb.c: run attempts in this process (the helper itself) */
extern bool indb_run_here;

extern bool indb_helper_ready(void);
extern void indb_helper_stop(bool failed);
extern HelperSend indb_helper_send(const TransportRequest *req);
extern int	indb_helper_receive(TransportResult *res);
extern void indb_helper_wait(int timeout_ms);
extern PGDLLEXPORT void notify_ext_indb_helper_main(Datum main_arg);

#endif							/* NOTIFY_INDB_HELPER_H */
