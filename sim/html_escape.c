/*
 * Text that comes out of a run (scenario paths, array names, expectation
 * texts, the command line) into the HTML report: the five characters that
 * could end an element or an attribute become entities.
 */
#include "html_escape.h"

void sim_html_text(FILE *f, const char *text) {
  for (const char *c = text; c != NULL && *c != '\0'; c++) {
    switch (*c) {
    case '&':
      fputs("&amp;", f);
      break;
    case '<':
      fputs("&lt;", f);
      break;
    case '>':
      fputs("&gt;", f);
      break;
    case '"':
      fputs("&quot;", f);
      break;
    case '\'':
      fputs("&#39;", f);
      break;
    default:
      fputc(*c, f);
    }
  }
}
