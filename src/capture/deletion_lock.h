/*-------------------------------------------------------------------------
 *
 * deletion_lock.h
 *	  Deletion-lock expiry, for the delivery worker's timer.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/capture/deletion_lock.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_DELETION_LOCK_H
#define NOTIFY_DELETION_LOCK_H

#include "utils/timestamp.h"

extern int	deletion_lock_expire_due(TimestampTz now, TimestampTz *next);

#endif							/* NOTIFY_DELETION_LOCK_H */
