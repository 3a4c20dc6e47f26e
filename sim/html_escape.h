/*
 * Text out of a run (scenario paths, array names, expectation texts, the
 * command line) into HTML (html_escape.c).  Apart from html.h so that its
 * unit test needs nothing else of the simulator.
 */
#ifndef MESHBEAT_SIM_HTML_ESCAPE_H
#define MESHBEAT_SIM_HTML_ESCAPE_H

#include <stdio.h>

/* Writes text with & < > " ' escaped: safe in element content and in
 * quoted attribute values.  NULL writes nothing. */
void sim_html_text(FILE *f, const char *text);

#endif
