/*-------------------------------------------------------------------------
 *
 * file.c
 *	  Capture kind file: a table of files of storages.
 *
 * INSERT file.new, DELETE file.delete; UPDATE: state to CLOSED file.close,
 * to LOST or MISSING file.lost, hash set or changed file.hash, any other
 * change file.change.  A notification with a storage filter sees the files
 * of that storage only.
 *
 * A notification whose content type is an S3 event message (encode/
 * s3_event.c) gets a payload of its own (s3_payload): the facts of the S3
 * event record.  Those made by a bucket configuration (cn->s3) also apply
 * its key filters here.  The sequencer of an event is drawn once for all
 * its messages, from notify.s3_sequencer_seq, while holding a
 * transaction-level lock on its (storage, path): a later transaction
 * writing the same key waits for this one to end before it draws, so the
 * values of one key increase in commit order, and a sequence never hands
 * out a value again, not even after a crash.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/capture/file.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "commands/sequence.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "pgtime.h"
#include "storage/lock.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "capture/capture_internal.h"
#include "definition/s3_configuration.h"

/* Lock tag class of the S3 key locks ("NtS3"); see the file banner */
#define NOTIFY_S3_KEY_LOCK_CLASS	0x4e745333

/* What the S3 event messages of one file event share */
typedef struct S3Facts
{
	char	   *event_time;
	char	   *principal;
	char	   *source_ip;
	char	   *request_id;
	char	   *host_id;
	char	   *sequencer;
} S3Facts;

/*
 * s3_facts
 *		The facts of an S3 event of (storage_id, path) shared by every
 *		message: time, caller, client address, request and host ids, and
 *		the sequencer (see the file banner).
 */
static S3Facts *
s3_facts(const CaptureRow *row, const char *storage_id, const char *path)
{
	S3Facts    *f = palloc0(sizeof(S3Facts));
	TimestampTz now = GetCurrentTimestamp();
	pg_time_t	t = timestamptz_to_time_t(now);
	struct pg_tm *tm = pg_gmtime(&t);
	LOCAL_FCINFO(addr_fcinfo, 0);
	Datum		addr;
	Oid			seq;
	LOCKTAG		tag;
	StringInfoData key;

	f->event_time = psprintf("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
							 tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday,
							 tm->tm_hour, tm->tm_min, tm->tm_sec,
							 (int) ((now % USECS_PER_SEC) / 1000));
	f->principal = GetUserNameFromId(GetUserId(), true);
	if (f->principal == NULL)
		f->principal = "";
	/* inet_client_addr(): NULL over a Unix socket, then "" */
	InitFunctionCallInfoData(*addr_fcinfo, NULL, 0, InvalidOid, NULL, NULL);
	addr = inet_client_addr(addr_fcinfo);
	f->source_ip = addr_fcinfo->isnull ? "" :
		DatumGetCString(DirectFunctionCall1(inet_out, addr));
	f->request_id = psprintf("%016llX", (unsigned long long)
							 U64FromFullTransactionId(GetTopFullTransactionId()));
	f->host_id = psprintf("%016llX", (unsigned long long) GetSystemIdentifier());

	seq = get_relname_relid("s3_sequencer_seq", row->cat->schema);
	if (!OidIsValid(seq))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("S3 event messages need notify_ext 1.1"),
				 errhint("Run ALTER EXTENSION notify_ext UPDATE.")));
	initStringInfo(&key);
	appendStringInfoString(&key, storage_id ? storage_id : "");
	appendStringInfoChar(&key, '\0');
	appendStringInfoString(&key, path ? path : "");
	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, NOTIFY_S3_KEY_LOCK_CLASS,
						 hash_bytes((const unsigned char *) key.data, key.len),
						 NOTIFY_LANE_LOCK_KIND);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
	f->sequencer = psprintf("%016llX", (unsigned long long)
							nextval_internal(seq, false));
	return f;
}

/* Does the key filter of a bucket configuration let path through? */
static bool
s3_key_matches(const S3Target *s3, const char *path)
{
	size_t		plen = strlen(path);
	size_t		slen = strlen(s3->suffix);

	return strncmp(path, s3->prefix, strlen(s3->prefix)) == 0 &&
		plen >= slen && strcmp(path + plen - slen, s3->suffix) == 0;
}

/*
 * s3_payload
 *		The payload of an S3 event message of event for notification cn
 *		(keys: see encode/s3_event.c).
 */
static char *
s3_payload(const CaptureRow *row, const CachedNotification *cn,
		   NotifyEvent event, HeapTuple tuple, const S3Facts *f,
		   const char *file_id, const char *storage_id, const char *path)
{
	StringInfoData buf;
	char	   *owner = GetUserNameFromId(cn->owner, true);

	initStringInfo(&buf);
	payload_add(&buf, "eventName", s3_event_name_of(event));
	payload_add(&buf, "eventTime", f->event_time);
	payload_add(&buf, "principalId", f->principal);
	payload_add(&buf, "ownerId", owner ? owner : "");
	payload_add(&buf, "sourceIPAddress", f->source_ip);
	payload_add(&buf, "requestId", f->request_id);
	payload_add(&buf, "hostId", f->host_id);
	payload_add(&buf, "awsRegion", cn->s3 ? cn->s3->region : "");
	payload_add(&buf, "configurationId", cn->s3 ? cn->s3->configuration_id : cn->id);
	payload_add(&buf, "bucket", cn->s3 ? cn->s3->bucket : (storage_id ? storage_id : ""));
	payload_add(&buf, "key", path ? path : "");
	if (event == NE_FILE_NEW || event == NE_FILE_CLOSE)
	{
		payload_add(&buf, "size", capture_role_text(row, tuple, CR_SIZE));
		payload_add(&buf, "eTag", capture_role_text(row, tuple, CR_HASH));
	}
	payload_add(&buf, "sequencer", f->sequencer);
	payload_add(&buf, "fileId", file_id);
	payload_add(&buf, "storageId", storage_id);
	return payload_finish(&buf);
}

/*
 * Emit a file event of tuple to the matching notifications whose storage
 * filter lets its storage through: {fileId, action, storageId, path,
 * itemId (only if set)}, or an S3 event message's payload (s3_payload) to
 * those asking for one, when their key filter lets the path through.
 */
static void
emit_file(const CaptureRow *row, NotifyEvent event, HeapTuple tuple)
{
	List	   *matches = capture_matches(row, event);
	ListCell   *lc;
	char	   *payload = NULL;
	char	   *file_id = NULL;
	char	   *storage_id = NULL;
	char	   *path = NULL;
	S3Facts    *s3 = NULL;

	foreach(lc, matches)
	{
		CachedNotification *cn = lfirst(lc);

		if (payload == NULL)
		{
			StringInfoData buf;
			char	   *item_id;

			file_id = capture_role_text(row, tuple, CR_ID);
			storage_id = capture_role_text(row, tuple, CR_STORAGE);
			item_id = capture_role_text(row, tuple, CR_ITEM);
			path = capture_role_text(row, tuple, CR_PATH);
			initStringInfo(&buf);
			payload_add(&buf, capture_events[event].idkey, file_id);
			payload_add(&buf, "action", capture_events[event].verb);
			payload_add(&buf, "storageId", storage_id);
			payload_add(&buf, "path", path);
			if (item_id)
				payload_add(&buf, "itemId", item_id);
			payload = payload_finish(&buf);
		}
		if (cn->def->trigger.file_storage != NULL &&
			(storage_id == NULL || strcmp(cn->def->trigger.file_storage, storage_id) != 0))
			continue;
		if (NCT_IS_S3(cn->def->action.content_type) &&
			s3_event_name_of(event) != NULL)
		{
			if (cn->s3 != NULL && !s3_key_matches(cn->s3, path ? path : ""))
				continue;
			if (s3 == NULL)
				s3 = s3_facts(row, storage_id, path);
			capture_emit(row, cn, event, file_id,
						 s3_payload(row, cn, event, tuple, s3, file_id,
									storage_id, path));
			continue;
		}
		capture_emit(row, cn, event, file_id, payload);
	}
}

/*
 * The events of an UPDATE of a file: state to CLOSED file.close, to LOST
 * or MISSING file.lost, any other state file.change; hash set or changed
 * file.hash; any other column not ignored file.change.
 */
static void
capture_file_update(const CaptureRow *row)
{
	const CaptureTable *ct = row->ct;
	TupleDesc	desc = row->desc;
	AttrNumber	state_att = ct->att[CR_STATE];
	AttrNumber	hash_att = ct->att[CR_HASH];
	bool		changed = false;
	bool		closed = false;
	bool		lost = false;
	bool		hashed = false;
	int			i;

	if (state_att != InvalidAttrNumber &&
		capture_column_changed(row->tuple, row->newtuple, desc, state_att))
	{
		char	   *state = capture_column_text(row->newtuple, desc, state_att);

		if (state && strcmp(state, "CLOSED") == 0)
			closed = true;
		else if (state && (strcmp(state, "LOST") == 0 || strcmp(state, "MISSING") == 0))
			lost = true;
		else
			changed = true;
	}
	if (hash_att != InvalidAttrNumber &&
		capture_column_changed(row->tuple, row->newtuple, desc, hash_att) &&
		capture_column_text(row->newtuple, desc, hash_att) != NULL)
		hashed = true;

	for (i = 0; i < desc->natts && !changed; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped || att->attnum == state_att ||
			att->attnum == hash_att || bms_is_member(att->attnum, ct->ignore))
			continue;
		if (capture_column_changed(row->tuple, row->newtuple, desc, att->attnum))
			changed = true;
	}

	if (changed)
		emit_file(row, NE_FILE_CHANGE, row->newtuple);
	if (closed)
		emit_file(row, NE_FILE_CLOSE, row->newtuple);
	if (lost)
		emit_file(row, NE_FILE_LOST, row->newtuple);
	if (hashed)
		emit_file(row, NE_FILE_HASH, row->newtuple);
}

/* The size of a file row, 0 when unknown or with no size column */
static int64
file_size(const CaptureRow *row, HeapTuple tuple)
{
	char	   *size = capture_role_text(row, tuple, CR_SIZE);

	return size ? strtoi64(size, NULL, 10) : 0;
}

/*
 * capture_file
 *		Handler of kind file: INSERT file.new, DELETE file.delete, UPDATE
 *		as capture_file_update; the change of size goes to the quota
 *		usage.
 */
void
capture_file(const CaptureRow *row)
{
	if (row->is_insert)
		emit_file(row, NE_FILE_NEW, row->tuple);
	else if (row->is_delete)
		emit_file(row, NE_FILE_DELETE, row->tuple);
	else if (row->is_update)
		capture_file_update(row);

	if (row->ct->att[CR_SIZE] != InvalidAttrNumber)
	{
		int64		before = row->is_insert ? 0 : file_size(row, row->tuple);
		int64		after = row->is_delete ? 0 :
			file_size(row, row->is_update ? row->newtuple : row->tuple);

		quota_usage_changed(row, 0, after - before);
	}
}
