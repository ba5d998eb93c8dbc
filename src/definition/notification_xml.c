/*-------------------------------------------------------------------------
 *
 * notification_xml.c
 *	  The XML spelling of a NotificationDocument: its reader and its
 *	  writer.
 *
 * The rules the readers follow for untrusted input, the ownership of the
 * libxml2 objects and the determinism of the output are those of the
 * family, described in notification_document.c.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/definition/notification_xml.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/xml.h"

#include "common/text_escape.h"
#include "definition/definition_internal.h"
#include "definition/notification_document.h"

/* libxml2 2.12 made the error argument of structured handlers const */
#if LIBXML_VERSION >= 21200
typedef const xmlError *DocXmlErrorPtr;
#else
typedef xmlErrorPtr DocXmlErrorPtr;
#endif

/*
 * State shared with the libxml2 callbacks of one parse; reached through
 * the parser context's _private pointer.
 */
typedef struct XmlReadState
{
	bool		saw_doctype;	/* a <!DOCTYPE was met: parse was stopped */
	bool		failed;			/* an error-level message was reported */
	int			line;			/* position of the first error */
	int			column;
	char	   *message;		/* first error message (palloc'd) or NULL */
} XmlReadState;

static void xml_read_error(void *data, DocXmlErrorPtr error);
static void xml_refuse_doctype(void *ctx, const xmlChar *name,
							   const xmlChar *external_id,
							   const xmlChar *system_id);
static DocNode *xml_element_to_node(xmlNodePtr elem, int depth);
static void xml_append_escaped(StringInfo buf, const char *s, bool attribute);
static void xml_write_element(StringInfo buf, const DocNode *node, int level,
							  bool is_root);


/*---- Reading ----*/


/*
 * xml_read_error
 *		libxml2 structured error handler for one parse (sax->serror).
 *
 * Remembers the first error-level message with its position and ignores
 * warnings (the checks that matter, such as the namespace, are made on the
 * tree afterwards).  It must not ereport: libxml2 is mid-parse.  The entity
 * name in "entity not defined" messages is dropped because an unescaped
 * '&' in a password would otherwise show part of it.
 */
static void
xml_read_error(void *data, DocXmlErrorPtr error)
{
	xmlParserCtxtPtr ctxt = (xmlParserCtxtPtr) data;
	XmlReadState *state;

	if (ctxt == NULL || ctxt->_private == NULL || error == NULL)
		return;
	state = (XmlReadState *) ctxt->_private;
	if (error->level < XML_ERR_ERROR)
		return;
	if (!state->failed)
	{
		state->line = error->line;
		state->column = error->int2;
		if (error->code == XML_ERR_UNDECLARED_ENTITY ||
			error->code == XML_WAR_UNDECLARED_ENTITY)
			state->message = pstrdup("Reference to an undefined entity");
		else if (error->message != NULL)
		{
			char	   *msg = pstrdup(error->message);
			int			n = strlen(msg);

			while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' ' ||
							 msg[n - 1] == '.'))
				msg[--n] = '\0';
			state->message = msg;
		}
	}
	state->failed = true;
}

/*
 * xml_refuse_doctype
 *		SAX internalSubset hook: a <!DOCTYPE> was found.  Record it and stop
 *		the parser before any declaration inside it is read.
 */
static void
xml_refuse_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id,
				   const xmlChar *system_id)
{
	xmlParserCtxtPtr ctxt = (xmlParserCtxtPtr) ctx;

	if (ctxt == NULL)
		return;
	if (ctxt->_private != NULL)
		((XmlReadState *) ctxt->_private)->saw_doctype = true;
	xmlStopParser(ctxt);
}

/*
 * notify_xml_parse
 *		Parse len bytes of XML text (server encoding, not necessarily
 *		NUL-terminated) the one way notify_ext reads XML input, and call
 *		use_root(root, arg) on its root element.  what names the document
 *		in messages ("NotificationDocument").  keep_blanks false drops
 *		blank text nodes.
 *
 * libxml2 gets UTF-8 and is told so, whatever the XML declaration says;
 * it never touches the network; a <!DOCTYPE> stops it before any
 * declaration inside is read and is refused (no entity can be declared,
 * so none can expand); CDATA is read as text.  ERRORs with
 * ERRCODE_INVALID_XML_DOCUMENT for a DTD, XML that is not well-formed (the
 * first error's position and message, an entity's name left out) or no
 * root element; use_root may ERROR too.  The xmlDoc and the parser
 * context are freed on every path.
 */
void
notify_xml_parse(const char *text, int len, const char *what, bool keep_blanks,
				 void (*use_root) (xmlNodePtr root, void *arg), void *arg)
{
	PgXmlErrorContext *xmlerrcxt;
	volatile xmlParserCtxtPtr ctxt = NULL;
	volatile xmlDocPtr doc = NULL;
	XmlReadState state;
	char	   *copy;
	char	   *utf8;

	copy = pnstrdup(text, len);
	utf8 = pg_server_to_any(copy, strlen(copy), PG_UTF8);

	memset(&state, 0, sizeof(state));

	xmlerrcxt = pg_xml_init(PG_XML_STRICTNESS_ALL);

	PG_TRY();
	{
		xmlNodePtr	root;

		ctxt = xmlNewParserCtxt();
		if (ctxt == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("could not allocate XML parser context")));
		ctxt->_private = &state;
		ctxt->sax->serror = xml_read_error;
		ctxt->sax->internalSubset = xml_refuse_doctype;

		doc = xmlCtxtReadMemory(ctxt, utf8, strlen(utf8), NULL, "UTF-8",
								XML_PARSE_NONET | XML_PARSE_NOCDATA |
								(keep_blanks ? 0 : XML_PARSE_NOBLANKS));

		if (state.saw_doctype || (doc != NULL && doc->intSubset != NULL))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_XML_DOCUMENT),
					 errmsg("document type declarations are not allowed in a %s", what),
					 errdetail("A <!DOCTYPE> could declare entities; notify_ext never reads one.")));
		if (state.failed || doc == NULL || !ctxt->wellFormed)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_XML_DOCUMENT),
					 errmsg("invalid XML in %s", what),
					 state.message ?
					 errdetail("Line %d, column %d: %s.", state.line,
							   state.column,
							   notify_quote_value(state.message)) :
					 errdetail("The XML parser could not read the document.")));
		if (pg_xml_error_occurred(xmlerrcxt))
			xml_ereport(xmlerrcxt, ERROR, ERRCODE_INVALID_XML_DOCUMENT,
						psprintf("could not parse %s", what));

		root = xmlDocGetRootElement(doc);
		if (root == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_XML_DOCUMENT),
					 errmsg("%s has no root element", what)));
		use_root(root, arg);
	}
	PG_CATCH();
	{
		if (doc != NULL)
			xmlFreeDoc(doc);
		if (ctxt != NULL)
			xmlFreeParserCtxt(ctxt);
		pg_xml_done(xmlerrcxt, true);
		PG_RE_THROW();
	}
	PG_END_TRY();

	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	pg_xml_done(xmlerrcxt, false);

	if (utf8 != copy)
		pfree(utf8);
	pfree(copy);
}

/*
 * notification_root
 *		notify_xml_parse callback of document_read_xml (arg: DocNode **):
 *		check the root element and its namespace, convert the tree.
 */
static void
notification_root(xmlNodePtr root, void *arg)
{
	const char *ns;

	if (xmlStrcmp(root->name, (const xmlChar *) "NotificationDocument") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_XML_DOCUMENT),
				 errmsg("unexpected root element <%s>",
						notify_quote_value(document_utf8_to_server((const char *) root->name,
														  xmlStrlen(root->name)))),
				 errdetail("The root element must be <NotificationDocument>.")));
	ns = (root->ns && root->ns->href) ? (const char *) root->ns->href : NULL;
	if (ns == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_XML_DOCUMENT),
				 errmsg("element <NotificationDocument> has no namespace"),
				 errhint("Add xmlns=\"%s\" to the root element.",
						 VIDISPINE_NS)));
	if (strcmp(ns, VIDISPINE_NS) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_XML_DOCUMENT),
				 errmsg("element <NotificationDocument> is in namespace \"%s\"",
						notify_quote_value(document_utf8_to_server(ns, strlen(ns)))),
				 errdetail("A NotificationDocument belongs to namespace \"%s\".",
						   VIDISPINE_NS)));

	*(DocNode **) arg = xml_element_to_node(root, 1);
}

/*
 * document_read_xml
 *		Parse XML text (len bytes, server encoding) into a DocNode tree.
 */
DocNode *
document_read_xml(const char *text, int len)
{
	DocNode    *result = NULL;

	notify_xml_parse(text, len, "NotificationDocument", false,
					 notification_root, &result);
	return result;
}

/*
 * xml_element_to_node
 *		Convert one libxml2 element (and its subtree) into a DocNode.
 *
 * depth is the nesting level of elem (root = 1).  Attributes become
 * is_attr children, in document order, ahead of the element children.
 * Comments and processing instructions are skipped; CDATA counts as text.
 * White space between elements is dropped; any other text next to
 * elements is mixed content and an error.
 */
static DocNode *
xml_element_to_node(xmlNodePtr elem, int depth)
{
	DocNode    *node;
	xmlAttrPtr	attr;
	xmlNodePtr	child;
	StringInfoData text;
	bool		has_elements = false;
	char	   *name;

	check_stack_depth();

	name = document_utf8_to_server((const char *) elem->name, xmlStrlen(elem->name));
	if (depth > DOC_MAX_DEPTH)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("NotificationDocument is nested more than %d levels deep",
						DOC_MAX_DEPTH)));
	if (elem->ns == NULL || elem->ns->href == NULL ||
		strcmp((const char *) elem->ns->href, VIDISPINE_NS) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_XML_DOCUMENT),
				 errmsg("element <%s> is in namespace \"%s\"",
						notify_quote_value(name),
						(elem->ns && elem->ns->href) ?
						notify_quote_value(document_utf8_to_server((const char *) elem->ns->href,
														  xmlStrlen(elem->ns->href))) : ""),
				 errdetail("Every element of a NotificationDocument belongs to namespace \"%s\".",
						   VIDISPINE_NS)));

	node = defn_node_new(name, NULL, false);

	for (attr = elem->properties; attr != NULL; attr = attr->next)
	{
		StringInfoData aname;
		StringInfoData avalue;
		xmlNodePtr	t;

		initStringInfo(&aname);
		if (attr->ns != NULL && attr->ns->prefix != NULL)
			appendStringInfo(&aname, "%s:", (const char *) attr->ns->prefix);
		appendStringInfoString(&aname, (const char *) attr->name);

		initStringInfo(&avalue);
		for (t = attr->children; t != NULL; t = t->next)
		{
			if (t->content != NULL)
				appendStringInfoString(&avalue, (const char *) t->content);
		}
		node->children = lappend(node->children,
								 defn_node_new(document_utf8_to_server(aname.data, aname.len),
											  document_utf8_to_server(avalue.data, avalue.len),
											  true));
	}

	initStringInfo(&text);
	for (child = elem->children; child != NULL; child = child->next)
	{
		switch (child->type)
		{
			case XML_ELEMENT_NODE:
				has_elements = true;
				node->children = lappend(node->children,
										 xml_element_to_node(child, depth + 1));
				break;
			case XML_TEXT_NODE:
			case XML_CDATA_SECTION_NODE:
				if (child->content != NULL)
					appendStringInfoString(&text, (const char *) child->content);
				break;
			case XML_COMMENT_NODE:
			case XML_PI_NODE:
				break;
			default:
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_XML_CONTENT),
						 errmsg("unsupported XML node type %d in element <%s>",
								(int) child->type, notify_quote_value(name))));
		}
	}

	if (has_elements)
	{
		if (!defn_is_blank(text.data))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_XML_CONTENT),
					 errmsg("element <%s> mixes text and elements",
							notify_quote_value(name)),
					 errdetail("An element of a NotificationDocument holds either text or elements.")));
	}
	else if (text.len > 0)
		node->text = document_utf8_to_server(text.data, text.len);

	pfree(text.data);
	return node;
}


/*---- Writing ----*/

/*
 * document_to_xml
 *		Serialize a DocNode tree as an XML NotificationDocument.
 *
 * The root element gets xmlns="http://xml.vidispine.com/schema/vidispine";
 * is_attr children become attributes; an element without text or children
 * is written <name/>.  Two spaces indent each level; there is no XML
 * declaration and no trailing newline.  Returns a palloc'd string.
 * Errors out (internal error) if an element holds both text and elements,
 * which neither reader produces.
 */
char *
document_to_xml(const DocNode *root)
{
	StringInfoData buf;

	initStringInfo(&buf);
	xml_write_element(&buf, root, 0, true);
	return buf.data;
}

/*
 * xml_append_escaped
 *		Append s as XML through notify_xml_escape_char() (common/): element
 *		text by NOTIFY_XML_DOC_TEXT, attribute values by
 *		NOTIFY_XML_DOC_ATTR, which also escapes quotes, TAB and LF.
 */
static void
xml_append_escaped(StringInfo buf, const char *s, bool attribute)
{
	for (; *s; s++)
		notify_xml_escape_char(buf, (unsigned char) *s, s, 1,
							   attribute ? NOTIFY_XML_DOC_ATTR : NOTIFY_XML_DOC_TEXT);
}

/*
 * xml_write_element
 *		Append one element, indented by level, and its subtree.
 */
static void
xml_write_element(StringInfo buf, const DocNode *node, int level, bool is_root)
{
	ListCell   *lc;
	int			nelements = 0;

	check_stack_depth();

	appendStringInfoSpaces(buf, level * 2);
	appendStringInfo(buf, "<%s", node->name);
	if (is_root)
		appendStringInfoString(buf, " xmlns=\"" VIDISPINE_NS "\"");

	foreach(lc, node->children)
	{
		DocNode    *child = (DocNode *) lfirst(lc);

		if (child->is_attr)
		{
			appendStringInfo(buf, " %s=\"", child->name);
			xml_append_escaped(buf, child->text ? child->text : "", true);
			appendStringInfoChar(buf, '"');
		}
		else
			nelements++;
	}

	if (nelements == 0)
	{
		if (node->text == NULL || node->text[0] == '\0')
			appendStringInfoString(buf, "/>");
		else
		{
			appendStringInfoChar(buf, '>');
			xml_append_escaped(buf, node->text, false);
			appendStringInfo(buf, "</%s>", node->name);
		}
		return;
	}

	if (node->text != NULL && node->text[0] != '\0')
		elog(ERROR, "element <%s> holds both text and elements",
			 notify_quote_value(node->name));

	appendStringInfoString(buf, ">\n");
	foreach(lc, node->children)
	{
		DocNode    *child = (DocNode *) lfirst(lc);

		if (child->is_attr)
			continue;
		xml_write_element(buf, child, level + 1, false);
		appendStringInfoChar(buf, '\n');
	}
	appendStringInfoSpaces(buf, level * 2);
	appendStringInfo(buf, "</%s>", node->name);
}
