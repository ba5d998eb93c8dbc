/*-------------------------------------------------------------------------
 *
 * s3_list.c
 *	  Pages of an S3 bucket listing (ListObjectsV2) for the ingest
 *	  poller's scans: the request URL and the answer read with libxml2.
 *
 * A storage method with an endpoint (an S3-compatible server) is listed
 * path-style, <endpoint>/<bucket>?list-type=2&...; one without, at AWS,
 * virtual-hosted style, https://<bucket>.s3.<region>.amazonaws.com/?....
 * The query parameters are written in the order SigV4 canonicalizes them
 * (sorted by name) and encoded as SigV4 encodes them, so that the
 * signature libcurl computes over the URL as given is the one S3 checks.
 *
 * The answer's elements are matched by local name only: s3rver puts its
 * ListBucketResult in a namespace that is not S3's.  Keys, sizes and ETags
 * are copied out of the document into palloc'd memory; the document and
 * every libxml2 string are freed on every path.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/ingest/s3_list.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "lib/stringinfo.h"
#include "utils/xml.h"

#include "ingest/ingest_internal.h"

/*
 * append_encoded
 *		Append s to b encoded as SigV4 encodes query values: every byte but
 *		A-Z a-z 0-9 - . _ ~ as %XX with upper-case hex.
 */
static void
append_encoded(StringInfo b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *) s; *p; p++)
	{
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			(*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
			*p == '_' || *p == '~')
			appendStringInfoChar(b, (char) *p);
		else
		{
			appendStringInfoChar(b, '%');
			appendStringInfoChar(b, hex[*p >> 4]);
			appendStringInfoChar(b, hex[*p & 15]);
		}
	}
}

/*
 * ingest_s3_list_url
 *		The URL of one ListObjectsV2 page of bucket under prefix (UTF-8),
 *		after continuation token (NULL for the first page), of at most
 *		max_keys objects.  endpoint NULL: AWS in region.  palloc'd.
 */
char *
ingest_s3_list_url(const char *endpoint, const char *region, const char *bucket,
				   const char *prefix, const char *token, int max_keys)
{
	StringInfoData b;

	initStringInfo(&b);
	if (endpoint != NULL)
		appendStringInfo(&b, "%s/%s?", endpoint, bucket);
	else
		appendStringInfo(&b, "https://%s.s3.%s.amazonaws.com/?", bucket, region);
	if (token != NULL)
	{
		appendStringInfoString(&b, "continuation-token=");
		append_encoded(&b, token);
		appendStringInfoChar(&b, '&');
	}
	appendStringInfo(&b, "list-type=2&max-keys=%d", max_keys);
	if (prefix != NULL && prefix[0] != '\0')
	{
		appendStringInfoString(&b, "&prefix=");
		append_encoded(&b, prefix);
	}
	return b.data;
}

/*
 * child_text
 *		The text of node's first child element of local name name,
 *		palloc'd, or NULL.
 */
static char *
child_text(xmlNodePtr node, const char *name)
{
	xmlNodePtr	c;

	for (c = node->children; c != NULL; c = c->next)
	{
		if (c->type == XML_ELEMENT_NODE &&
			xmlStrcmp(c->name, (const xmlChar *) name) == 0)
		{
			xmlChar    *t = xmlNodeGetContent(c);
			char	   *s = pstrdup(t ? (const char *) t : "");

			if (t != NULL)
				xmlFree(t);
			return s;
		}
	}
	return NULL;
}

/*
 * ingest_s3_parse_list
 *		Read a ListObjectsV2 answer (len bytes of xml) into page: the
 *		objects' keys (UTF-8), sizes and ETags (quotes stripped),
 *		IsTruncated and NextContinuationToken.  Returns false with *error
 *		set when the answer is not a ListBucketResult, or a truncated one
 *		without a continuation token.  ERRORs only when out of memory.
 */
bool
ingest_s3_parse_list(const char *xml, int len, IngestListPage *page, char **error)
{
	volatile xmlDocPtr doc = NULL;
	volatile bool ok = false;
	PgXmlErrorContext *xmlerrcxt;

	memset(page, 0, sizeof(*page));
	*error = NULL;
	xmlerrcxt = pg_xml_init(PG_XML_STRICTNESS_LEGACY);
	PG_TRY();
	{
		xmlNodePtr	root;
		xmlNodePtr	c;
		int			cap = 0;

		doc = xmlReadMemory(xml, len, NULL, "UTF-8",
							XML_PARSE_NONET | XML_PARSE_NOBLANKS |
							XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
		root = doc ? xmlDocGetRootElement(doc) : NULL;
		if (root == NULL ||
			xmlStrcmp(root->name, (const xmlChar *) "ListBucketResult") != 0)
			*error = pstrdup("the ListObjectsV2 answer is not a ListBucketResult");
		else
		{
			for (c = root->children; c != NULL; c = c->next)
			{
				if (c->type != XML_ELEMENT_NODE)
					continue;
				if (xmlStrcmp(c->name, (const xmlChar *) "Contents") == 0)
				{
					char	   *key = child_text(c, "Key");
					char	   *size = child_text(c, "Size");
					char	   *etag = child_text(c, "ETag");

					if (key == NULL)
						continue;
					if (page->n == cap)
					{
						cap = cap ? cap * 2 : 64;
						if (page->keys == NULL)
						{
							page->keys = palloc(sizeof(char *) * cap);
							page->sizes = palloc(sizeof(int64) * cap);
							page->etags = palloc(sizeof(char *) * cap);
						}
						else
						{
							page->keys = repalloc(page->keys, sizeof(char *) * cap);
							page->sizes = repalloc(page->sizes, sizeof(int64) * cap);
							page->etags = repalloc(page->etags, sizeof(char *) * cap);
						}
					}
					page->keys[page->n] = key;
					page->sizes[page->n] = size ? strtoi64(size, NULL, 10) : 0;
					if (etag != NULL && etag[0] == '"')
					{
						size_t		l = strlen(etag);

						etag = pnstrdup(etag + 1, (l >= 2 && etag[l - 1] == '"') ? l - 2 : l - 1);
					}
					page->etags[page->n] = etag;
					page->n++;
				}
				else if (xmlStrcmp(c->name, (const xmlChar *) "IsTruncated") == 0)
				{
					xmlChar    *t = xmlNodeGetContent(c);

					page->truncated = (t != NULL &&
									   xmlStrcmp(t, (const xmlChar *) "true") == 0);
					if (t != NULL)
						xmlFree(t);
				}
				else if (xmlStrcmp(c->name, (const xmlChar *) "NextContinuationToken") == 0)
				{
					xmlChar    *t = xmlNodeGetContent(c);

					page->next_token = pstrdup(t ? (const char *) t : "");
					if (t != NULL)
						xmlFree(t);
				}
			}
			if (page->truncated &&
				(page->next_token == NULL || page->next_token[0] == '\0'))
				*error = pstrdup("a truncated ListObjectsV2 answer has no NextContinuationToken");
			else
				ok = true;
		}
	}
	PG_FINALLY();
	{
		if (doc != NULL)
			xmlFreeDoc(doc);

		/*
		 * a malformed answer may leave a parser error recorded: it is
		 * reported through *error, so let pg_xml_done ignore it
		 */
		pg_xml_done(xmlerrcxt, true);
	}
	PG_END_TRY();
	return ok;
}
