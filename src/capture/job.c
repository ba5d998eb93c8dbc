/*-------------------------------------------------------------------------
 *
 * job.c
 *	  Capture kind job: a table of jobs.
 *
 * INSERT raises job.create.  An UPDATE that changes the status raises
 * job.update; when the new status is one where the job has stopped running
 * (job_states[]) and the old one was not, it also raises job.stop and then
 * job.finished or job.fail.  An INSERT of a job that has stopped already
 * raises create, stop and finished/fail.  DELETE raises nothing.
 *
 * Which notifications an event reaches:
 *	- a normal job notification: every job, subject to its <filter>;
 *	- a placeholder (<placeholder>true</placeholder>): only the jobs whose
 *	  notification column names it, subject to its <filter> as well;
 *	- an entity-scoped one: only its job.
 * The <filter> holds: <type> (any of them equals the job type), <step>
 * (equals the current step number) and <jobdata> (each of them matches an
 * entry of the job data: key and value equal, or key-regex and value-regex
 * found in them as by the ~ operator).
 *
 * The output keys, in order, and the content filters that keep them are
 * job_fields[], the one place where they are named; job data follows them.
 * A notification with <contentFilters> gets action and the keys of the
 * filters it names only.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/capture/job.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "regex/regex.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"

#include "capture/capture_internal.h"

/*
 * The output keys of a job event, in output order: the column role that
 * gives the value and the content filter that keeps the key.  A key whose
 * column is NULL or not given is left out, but for jobId, action, status
 * and type.  Job data (JF_DATA) is every entry of the data column, after
 * the item column's itemId; an entry named like a key of this table is left
 * out.
 */
typedef enum JobField
{
	JF_ID,
	JF_ACTION,
	JF_STATUS,
	JF_TYPE,
	JF_STEP,
	JF_STEP_STATUS,
	JF_TOTAL_STEPS,
	JF_USER,
	JF_START_TIME,
	JF_ERROR,
	JF_ITEM,
	JF_DATA,
	JF_NOTIFICATION_DATA,
	JF_COUNT
} JobField;

static const struct
{
	const char *key;			/* output key; NULL: the data entries' own */
	int			role;			/* CaptureRole of the value; -1: none */
	const char *content_filter; /* NULL: always kept */
	bool		always;			/* present even when NULL */
}			job_fields[JF_COUNT] = {
	[JF_ID] = {"jobId", CR_ID, "jobId", true},
	[JF_ACTION] = {"action", -1, NULL, true},
	[JF_STATUS] = {"status", CR_STATE, "jobState", true},
	[JF_TYPE] = {"type", CR_TYPE, "jobType", true},
	[JF_STEP] = {"currentStepNumber", CR_STEP, "currentStep", false},
	[JF_STEP_STATUS] = {"currentStepStatus", CR_STEP_STATUS, "currentStep", false},
	[JF_TOTAL_STEPS] = {"totalSteps", CR_TOTAL_STEPS, "totalSteps", false},
	[JF_USER] = {"user", CR_USER, "user", false},
	[JF_START_TIME] = {"startTime", CR_START_TIME, "startTime", false},
	[JF_ERROR] = {"errorMessage", CR_ERROR, "errorMessage", false},
	[JF_ITEM] = {"itemId", CR_ITEM, "itemId", false},
	[JF_DATA] = {NULL, CR_DATA, "jobData", false},
	[JF_NOTIFICATION_DATA] = {"notificationData", CR_NOTIFICATION_DATA, "jobData", false},
};

/*
 * The statuses in which a job has stopped running, and the event that
 * follows job.stop (NE_COUNT: none).  Any other status is a running or
 * waiting one.
 */
static const struct
{
	const char *status;
	NotifyEvent then;
}			job_states[] = {
	{"FINISHED", NE_JOB_FINISHED},
	{"FINISHED_WARNING", NE_JOB_FINISHED},
	{"FAILED_TOTAL", NE_JOB_FAIL},
	{"FAILED_FATAL", NE_JOB_FAIL},
	{"ABORTED", NE_COUNT},
};

/* One job row as its events see it, read once per row change */
typedef struct JobRow
{
	char	   *value[JF_COUNT];	/* text of each field; JF_DATA unused */
	List	   *data_keys;		/* the job data, keys and values (char *) */
	List	   *data_values;
	char	   *notification;	/* the notification column, or NULL */
} JobRow;

/*
 * Is status one where the job has stopped?  *then: the event that follows
 * job.stop.
 */
static bool
job_stopped(const char *status, NotifyEvent *then)
{
	int			i;

	for (i = 0; status != NULL && i < lengthof(job_states); i++)
	{
		if (strcmp(job_states[i].status, status) == 0)
		{
			*then = job_states[i].then;
			return true;
		}
	}
	return false;
}

/*
 * A column as output text: timestamps in ISO 8601 whatever DateStyle, the
 * rest as capture_column_text.
 */
static char *
job_column_text(const CaptureRow *row, HeapTuple tuple, CaptureRole role)
{
	AttrNumber	att = row->ct->att[role];
	Oid			typid;
	Datum		d;
	bool		isnull;

	if (att == InvalidAttrNumber)
		return NULL;
	typid = TupleDescAttr(row->desc, att - 1)->atttypid;
	if (typid != TIMESTAMPTZOID && typid != TIMESTAMPOID && typid != DATEOID)
		return capture_role_text(row, tuple, role);
	d = heap_getattr(tuple, att, row->desc, &isnull);
	if (isnull)
		return NULL;
	return JsonEncodeDateTime(NULL, d, typid, NULL);
}

/* Is key one of the fixed output keys of job_fields? */
static bool
job_fixed_key(const char *key)
{
	int			f;

	for (f = 0; f < JF_COUNT; f++)
	{
		if (job_fields[f].key != NULL && strcmp(job_fields[f].key, key) == 0)
			return true;
	}
	return false;
}

/*
 * Read the job data of the data column (a JSON object) into job: string
 * values as they are, other values as JSON text.  ERRORs when it is not an
 * object.
 */
static void
job_read_data(const CaptureRow *row, HeapTuple tuple, JobRow *job)
{
	AttrNumber	att = row->ct->att[CR_DATA];
	Datum		d;
	Jsonb	   *data;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	bool		isnull;
	char	   *key = NULL;

	if (att == InvalidAttrNumber)
		return;
	d = heap_getattr(tuple, att, row->desc, &isnull);
	if (isnull)
		return;
	data = DatumGetJsonbP(d);
	if (!JB_ROOT_IS_OBJECT(data))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid job data of job \"%s\": it must be a JSON object",
						job->value[JF_ID] ? job->value[JF_ID] : "")));

	it = JsonbIteratorInit(&data->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *value;

		if (tok == WJB_KEY)
		{
			key = pnstrdup(v.val.string.val, v.val.string.len);
			continue;
		}
		if (tok != WJB_VALUE || key == NULL || job_fixed_key(key))
			continue;
		if (v.type == jbvString)
			value = pnstrdup(v.val.string.val, v.val.string.len);
		else if (v.type == jbvBinary)
			value = JsonbToCString(NULL, v.val.binary.data, v.val.binary.len);
		else
		{
			Jsonb	   *scalar = JsonbValueToJsonb(&v);

			value = JsonbToCString(NULL, &scalar->root, VARSIZE(scalar));
		}
		job->data_keys = lappend(job->data_keys, key);
		job->data_values = lappend(job->data_values, value);
		key = NULL;
	}
}

/* Read the fields of tuple, a row of the job table, into job */
static void
job_read(const CaptureRow *row, HeapTuple tuple, JobRow *job)
{
	int			f;

	memset(job, 0, sizeof(*job));
	for (f = 0; f < JF_COUNT; f++)
	{
		if (job_fields[f].role >= 0 && f != JF_DATA)
			job->value[f] = job_column_text(row, tuple, job_fields[f].role);
	}
	/* job data of the item column comes first, under its own key */
	if (job->value[JF_ITEM] != NULL)
	{
		job->data_keys = lappend(job->data_keys, (char *) job_fields[JF_ITEM].key);
		job->data_values = lappend(job->data_values, job->value[JF_ITEM]);
	}
	job_read_data(row, tuple, job);
	job->notification = capture_role_text(row, tuple, CR_NOTIFICATION);
}

/* Does text match the regular expression re (unanchored, as ~)? */
static bool
job_regex_matches(const char *re, const char *text)
{
	return RE_compile_and_execute(cstring_to_text(re), (char *) text,
								  strlen(text), REG_ADVANCED,
								  DEFAULT_COLLATION_OID, 0, NULL);
}

/*
 * Does the job pass the <filter> of trig: type, step and every jobdata
 * criterion?
 */
static bool
job_filter_passes(const NotifyTrigger *trig, const JobRow *job)
{
	ListCell   *lc;

	if (trig->job_types != NIL)
	{
		bool		found = false;

		foreach(lc, trig->job_types)
		{
			if (job->value[JF_TYPE] != NULL &&
				strcmp((char *) lfirst(lc), job->value[JF_TYPE]) == 0)
				found = true;
		}
		if (!found)
			return false;
	}
	if (trig->job_step >= 0 &&
		(job->value[JF_STEP] == NULL ||
		 strcmp(job->value[JF_STEP], psprintf("%d", trig->job_step)) != 0))
		return false;
	foreach(lc, trig->job_data)
	{
		NotifyJobData *jd = lfirst(lc);
		ListCell   *kc,
				   *vc;
		bool		found = false;

		forboth(kc, job->data_keys, vc, job->data_values)
		{
			const char *k = lfirst(kc);
			const char *v = lfirst(vc);

			if (jd->is_regex ?
				(job_regex_matches(jd->key, k) && job_regex_matches(jd->value, v)) :
				(strcmp(jd->key, k) == 0 && strcmp(jd->value, v) == 0))
			{
				found = true;
				break;
			}
		}
		if (!found)
			return false;
	}
	return true;
}

/* Does the list of content filters filters (NIL: none, all) keep name? */
static bool
job_filter_keeps(List *filters, const char *name)
{
	ListCell   *lc;

	if (filters == NIL || name == NULL)
		return true;
	foreach(lc, filters)
	{
		if (strcmp((char *) lfirst(lc), name) == 0)
			return true;
	}
	return false;
}

/*
 * The payload of event for job, trimmed to the content filters filters
 * (NIL: everything).
 */
static char *
job_payload(NotifyEvent event, const JobRow *job, List *filters)
{
	StringInfoData buf;
	int			f;

	initStringInfo(&buf);
	for (f = 0; f < JF_COUNT; f++)
	{
		if (f == JF_ITEM)
			continue;			/* part of the job data */
		if (f == JF_DATA)
		{
			ListCell   *kc,
					   *vc;

			forboth(kc, job->data_keys, vc, job->data_values)
			{
				const char *key = lfirst(kc);
				const char *filter = strcmp(key, job_fields[JF_ITEM].key) == 0 ?
				job_fields[JF_ITEM].content_filter : job_fields[JF_DATA].content_filter;

				if (job_filter_keeps(filters, filter))
					payload_add(&buf, key, lfirst(vc));
			}
			continue;
		}
		if (!job_filter_keeps(filters, job_fields[f].content_filter))
			continue;
		if (f == JF_ACTION)
			payload_add(&buf, job_fields[f].key, capture_events[event].verb);
		else if (job->value[f] != NULL || job_fields[f].always)
			payload_add(&buf, job_fields[f].key, job->value[f]);
	}
	return payload_finish(&buf);
}

/*
 * Emit event of the job read from tuple (*job, read on first need) to the
 * matching notifications its placeholder, scope and filters let through.
 */
static void
emit_job(const CaptureRow *row, NotifyEvent event, HeapTuple tuple,
		 JobRow *job, bool *read)
{
	List	   *matches = capture_matches(row, event);
	ListCell   *lc;
	char	   *full = NULL;

	foreach(lc, matches)
	{
		CachedNotification *cn = lfirst(lc);
		const NotifyTrigger *trig = &cn->def->trigger;
		char	   *payload;

		if (!*read)
		{
			job_read(row, tuple, job);
			*read = true;
		}
		if (trig->placeholder &&
			(job->notification == NULL || strcmp(job->notification, cn->id) != 0))
			continue;
		if (!capture_scope_matches(cn, job->value[JF_ID]) ||
			!job_filter_passes(trig, job))
			continue;
		if (trig->content_filters != NIL)
			payload = job_payload(event, job, trig->content_filters);
		else
		{
			if (full == NULL)
				full = job_payload(event, job, NIL);
			payload = full;
		}
		capture_emit(row, cn, event, job->value[JF_ID], payload);
	}
}

/*
 * capture_job
 *		Handler of kind job: job.create on INSERT; job.update when an UPDATE
 *		changes the status, then job.stop and job.finished or job.fail when
 *		the job has stopped running by it (see the file header).
 */
void
capture_job(const CaptureRow *row)
{
	JobRow		job;
	bool		read = false;
	NotifyEvent then = NE_COUNT;
	AttrNumber	state_att = row->ct->att[CR_STATE];

	if (row->is_insert)
	{
		emit_job(row, NE_JOB_CREATE, row->tuple, &job, &read);
		if (job_stopped(capture_column_text(row->tuple, row->desc, state_att),
						&then))
		{
			emit_job(row, NE_JOB_STOP, row->tuple, &job, &read);
			if (then != NE_COUNT)
				emit_job(row, then, row->tuple, &job, &read);
		}
	}
	else if (row->is_update &&
			 capture_column_changed(row->tuple, row->newtuple, row->desc,
									state_att))
	{
		NotifyEvent was;

		emit_job(row, NE_JOB_UPDATE, row->newtuple, &job, &read);
		if (job_stopped(capture_column_text(row->newtuple, row->desc, state_att),
						&then) &&
			!job_stopped(capture_column_text(row->tuple, row->desc, state_att),
						 &was))
		{
			emit_job(row, NE_JOB_STOP, row->newtuple, &job, &read);
			if (then != NE_COUNT)
				emit_job(row, then, row->newtuple, &job, &read);
		}
	}
}
