/*-------------------------------------------------------------------------
 *
 * signing.h
 *	  Standard Webhooks signatures of HTTP requests.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/transport/signing.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_SIGNING_H
#define NOTIFY_SIGNING_H

extern char *webhook_signature(const char *secret, const char *previous,
							   const char *msg_id, int64 timestamp,
							   const char *body, size_t len, char **error);

#endif							/* NOTIFY_SIGNING_H */
