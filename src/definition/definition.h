/*-------------------------------------------------------------------------
 *
 * definition.h
 *	  NotificationDocument model: the parsed, validated form of one
 *	  notification definition (an action plus a trigger).
 *
 * A definition arrives as a Vidispine NotificationDocument, in XML or in its
 * JSON form.  parse.c turns either spelling into a DocNode tree
 * (notification_document.c), validates that tree against the action and trigger reference
 * and fills a NotifyDefinition.  Parsing is pure: no catalog access, no I/O;
 * a bad document is reported with ereport(ERROR) and nothing else happens.
 *
 * The canonical tree kept in NotifyDefinition->doc is what gets stored and
 * what get_notification renders back, so a round trip through XML or JSON
 * always yields the same document.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/definition/definition.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_DEFINITION_H
#define NOTIFY_DEFINITION_H

#include "nodes/pg_list.h"

#define VIDISPINE_NS "http://xml.vidispine.com/schema/vidispine"

/* Resources a notification can belong to (Vidispine's notification entities) */
typedef enum NotifyResource
{
	NR_ITEM,
	NR_COLLECTION,
	NR_DOCUMENT,
	NR_GROUP,
	NR_JOB,
	NR_STORAGE,
	NR_FILE,
	NR_QUOTA,
	NR_DELETION_LOCK,
	NR_COUNT
} NotifyResource;

typedef enum NotifyActionKind
{
	NA_HTTP,
	NA_SQS,
	NA_FUNCTION,				/* PostgreSQL counterpart of <ejb> */
	NA_CHANNEL,					/* PostgreSQL counterpart of <jms> */
	NA_SNS						/* Amazon SNS Publish */
} NotifyActionKind;

/* outside the enum, so that switches need not name it */
#define NA_COUNT	(NA_SNS + 1)

typedef enum NotifyContentType
{
	NCT_TEXT,					/* text/plain (default) */
	NCT_XML,					/* application/xml SimpleMetadataDocument */
	NCT_JSON,					/* application/json SimpleMetadataDocument */
	NCT_S3_EVENT,				/* application/x-s3-event+json: AWS S3 event
								 * message (file events only) */
	NCT_MINIO_EVENT				/* application/x-minio-event+json: MinIO's
								 * variant of it */
} NotifyContentType;

#define NCT_COUNT	(NCT_MINIO_EVENT + 1)

/* Is ct one of the S3 event message bodies (encode/s3_event.c)? */
#define NCT_IS_S3(ct)	((ct) == NCT_S3_EVENT || (ct) == NCT_MINIO_EVENT)

/* Trigger events; their names and elements are in names.c */
typedef enum NotifyEvent
{
	NE_ITEM_CREATE,
	NE_ITEM_DELETE,
	NE_METADATA_MODIFY,
	NE_ACCESS_CREATE,
	NE_ACCESS_DELETE,
	NE_ACCESS_CHANGE,
	NE_SHAPE_CREATE,
	NE_SHAPE_MODIFY,
	NE_SHAPE_DELETE,
	NE_COLLECTION_CREATE,
	NE_COLLECTION_DELETE,
	NE_COLLECTION_MODIFY,
	NE_COLLECTION_METADATA_MODIFY,
	NE_DOCUMENT_CREATE,
	NE_DOCUMENT_DELETE,
	NE_DOCUMENT_MODIFY,
	NE_GROUP_CREATE,
	NE_GROUP_DELETE,
	NE_GROUP_MODIFY,
	NE_JOB_CREATE,
	NE_JOB_STOP,
	NE_JOB_UPDATE,
	NE_JOB_FINISHED,
	NE_JOB_FAIL,
	NE_STORAGE_CREATE,
	NE_STORAGE_DELETE,
	NE_STORAGE_FILENAME,
	NE_FILE_NEW,
	NE_FILE_CHANGE,
	NE_FILE_CLOSE,
	NE_FILE_DELETE,
	NE_FILE_HASH,
	NE_FILE_LOST,
	NE_QUOTA_WARNING,
	NE_QUOTA_CREATE,
	NE_QUOTA_DELETE,
	NE_DELETION_LOCK_CREATE,
	NE_DELETION_LOCK_MODIFY,
	NE_DELETION_LOCK_DELETE,
	NE_DELETION_LOCK_EXPIRE,
	NE_DELETION_LOCK_EFFECTIVE,
	NE_COUNT
} NotifyEvent;

/* One trigger event: <trigger><element><event/></element></trigger> */
typedef struct NotifyEventInfo
{
	const char *name;			/* canonical name, "collection.metadata.modify" */
	NotifyResource resource;	/* resource the notification must belong to */
	const char *element;		/* element inside <trigger> */
	const char *event;			/* event element inside it */
	const char *alias;			/* another spelling of the event element, or
								 * NULL */
	bool		md_params;		/* takes field, interval, language, track */
} NotifyEventInfo;

/*
 * Generic document tree shared by the XML and JSON spellings.  An element
 * has a name, optional text, attributes (is_attr children, XML only in the
 * input; JSON turns them into plain keys) and ordered children.
 */
typedef struct DocNode
{
	char	   *name;
	char	   *text;			/* NULL when the element has no text */
	bool		is_attr;		/* an XML attribute (synchronous, group) */
	List	   *children;		/* DocNode * */
} DocNode;

typedef struct NotifyAction
{
	NotifyActionKind kind;
	bool		synchronous;	/* default false */
	char	   *group;			/* thread group (strict lane), or NULL */
	int			retry;			/* number of retries after the first try */
	NotifyContentType content_type;

	/* http */
	char	   *url;			/* full URL, credentials included */
	char	   *url_password;	/* its password (URL-encoded), or NULL */
	bool		put;			/* method PUT rather than POST */
	int			timeout_s;		/* 0 = no timeout */
	/* Standard Webhooks signing (notify.set_signing), not in the document */
	char	   *signing_alias;	/* NULL: requests are not signed */
	char	   *signing_secret; /* "whsec_<base64>" of the alias, or NULL
								 * when it is gone */
	char	   *signing_previous;	/* the secret being rotated out, or NULL */
	Oid			signing_owner;	/* the role owning the alias's secret */

	/* sqs and sns (the endpoint, credential and role fields serve both) */
	char	   *sqs_endpoint;	/* host or http(s)://host[:port] */
	char	   *sqs_queue;		/* queue name, or queue URL (sqs) */
	char	   *sqs_access_key; /* NULL: sqs_secret names a stored credential */
	char	   *sqs_secret;		/* the secret key, or the alias */
	char	   *sqs_region;		/* explicit <region>, or derived, or NULL */
	char	   *sqs_group_id;	/* <messageGroupId> (FIFO queues), or NULL */
	char	   *aws_role_arn;	/* <roleArn>, kept, not assumed; or NULL */
	char	   *aws_role_session;	/* <roleSessionName>, or NULL */
	char	   *aws_role_external_id;	/* <roleExternalId>, or NULL */
	char	   *sns_topic;		/* topic ARN (sns) */

	/* function / channel */
	char	   *function_name;	/* possibly schema-qualified */
	char	   *channel;
} NotifyAction;

/* One entry of a metadata <field> filter */
typedef struct NotifyFieldFilter
{
	char	   *name;			/* field name (last path component) */
	char	   *path;			/* group path "/game/first_half", "" for a
								 * top-level path entry "/name", or NULL */
	char	   *rename;			/* "name:newname" -> newname, or NULL */
	bool		exclude;		/* "-name" */
} NotifyFieldFilter;

/* One time span of an <interval> filter; -INF/+INF as +-infinity */
typedef struct NotifyInterval
{
	double		start;
	double		end;
} NotifyInterval;

/* One <jobdata> criterion of a job <filter> */
typedef struct NotifyJobData
{
	char	   *key;			/* exact key, or regex when is_regex */
	char	   *value;
	bool		is_regex;
} NotifyJobData;

typedef struct NotifyTrigger
{
	/*
	 * Canonical event name, "<element>.<event>" from the XML path inside
	 * <trigger>: "item.create", "metadata.modify", "access.change",
	 * "collection.metadata.modify", "file.new", "quota.create",
	 * "deletionLock.expire", ...
	 */
	char	   *event;
	NotifyEvent event_id;		/* the same event as an id */

	/* metadata modify filters (item, collection, document) */
	bool		has_md_filter;
	List	   *md_fields;		/* NotifyFieldFilter *; NIL = every field */
	bool		md_generic_only;	/* interval "generic" */
	List	   *md_intervals;	/* NotifyInterval *; NIL with !generic = all */
	List	   *md_languages;	/* char * patterns, '*' wildcard */
	List	   *md_tracks;		/* char * */

	/* job */
	bool		placeholder;
	List	   *job_types;		/* char * */
	int			job_step;		/* -1 = any */
	List	   *job_data;		/* NotifyJobData * */
	List	   *content_filters;	/* char * */

	/* file: restrict to one storage id, or NULL */
	char	   *file_storage;
} NotifyTrigger;

typedef struct NotifyDefinition
{
	NotifyResource resource;
	NotifyAction action;
	NotifyTrigger trigger;
	DocNode    *doc;			/* canonical tree (root NotificationDocument) */
} NotifyDefinition;

/* notification_document.c: the two spellings <-> DocNode */
extern DocNode *document_read(const char *text, int len);
extern char *document_to_xml(const DocNode *root);
extern char *document_to_json(const DocNode *root);

/* names.c: the one list of each kind of name */
extern PGDLLIMPORT const NotifyEventInfo notify_events[NE_COUNT];
extern int	resource_lookup(const char *name);
extern NotifyResource resource_from_name(const char *name);
extern const char *resource_name(NotifyResource r);
extern int	action_kind_lookup(const char *name);
extern const char *action_kind_name(NotifyActionKind kind);
extern int	content_type_lookup(const char *name);
extern const char *content_type_name(NotifyContentType ct);
extern int	event_lookup(const char *name);
extern const char *event_name(NotifyEvent ev);

/* action.c */
extern void action_copy(NotifyAction *dst, const NotifyAction *src);

/* parse.c */
extern NotifyDefinition *definition_parse(NotifyResource resource,
										  const char *text, int len);
extern char *definition_summary(const NotifyDefinition *def);

/* node.c */
extern char *definition_url_set_password(const char *url, const char *password,
										 char **old_password);
extern void definition_set_secrets(NotifyDefinition *def, const char *url_password,
								   const char *sqs_secret);

/*
 * definition_api.c: the check of an <http> URL's host against delivery's
 * host rules (notify_ext.allowed_hosts, denied_hosts and the addresses
 * never connected to), for notify.parse_document, that is at create and
 * update time.  Returns the refusal, or NULL when the host may be
 * contacted or only the connect-time check can tell (a name).  The rules
 * live in the transport layer, so the library's initialization sets it;
 * NULL: no check.
 */
typedef char *(*DefinitionUrlCheck) (const char *url);
extern PGDLLIMPORT DefinitionUrlCheck definition_url_check_hook;

/*
 * What a stored document holds in place of a credential.  Given back in an
 * update, it keeps the stored credential.
 */
#define NOTIFY_SECRET_MASK	"***"

#endif							/* NOTIFY_DEFINITION_H */
