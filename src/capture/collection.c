/*-------------------------------------------------------------------------
 *
 * collection.c
 *	  Capture kinds collection (a table of collections) and
 *	  collection-member (a table of the entities of collections).
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/capture/collection.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"


#include "capture/capture_internal.h"

/*
 * capture_collection
 *		Handler of kind collection: collection.create, collection.delete,
 *		and collection.metadata.modify of an UPDATE's changed columns.
 */
void
capture_collection(const CaptureRow *row)
{
	capture_emit_entity(row, NE_COLLECTION_CREATE, NE_COLLECTION_DELETE,
						NE_COLLECTION_METADATA_MODIFY);
}

/*
 * capture_collection_member
 *		Handler of kind collection-member (a row says an entity belongs to
 *		a collection): INSERT or DELETE raises collection.modify of the
 *		collection, {type, action, collectionId}.  UPDATE raises nothing.
 */
void
capture_collection_member(const CaptureRow *row)
{
	List	   *matches;
	ListCell   *lc;
	char	   *id;
	char	   *payload = NULL;

	if (!row->is_insert && !row->is_delete)
		return;
	matches = capture_matches(row, NE_COLLECTION_MODIFY);
	id = capture_role_text(row, row->tuple, CR_ID);
	foreach(lc, matches)
	{
		CachedNotification *cn = lfirst(lc);

		if (!capture_scope_matches(cn, id))
			continue;
		if (payload == NULL)
		{
			StringInfoData buf;

			initStringInfo(&buf);
			payload_add(&buf, "type", "collection");
			payload_add(&buf, "action", capture_events[NE_COLLECTION_MODIFY].verb);
			payload_add(&buf, capture_events[NE_COLLECTION_MODIFY].idkey, id);
			payload = payload_finish(&buf);
		}
		capture_emit(row, cn, NE_COLLECTION_MODIFY, id, payload);
	}
	deletion_lock_member_changed(row);
}
