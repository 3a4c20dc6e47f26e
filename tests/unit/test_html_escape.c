/*
 * The simulator's HTML escaper (sim/html_escape.c): every text of a run
 * that reaches the report (scenario file names, array names, expectation
 * texts, the command line) goes through it, so none can open an element,
 * close an attribute or start an entity.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "html_escape.h"

/* What sim_html_text writes for text (caller frees). */
static char *escaped(const char *text) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_non_null(f);
  sim_html_text(f, text);
  assert_int_equal(fclose(f), 0);
  return buf;
}

static void expect_escaped(const char *text, const char *want) {
  char *got = escaped(text);
  assert_string_equal(got, want);
  free(got);
}

static void the_five_characters_become_entities(void **state) {
  (void)state;
  expect_escaped("<>&\"'", "&lt;&gt;&amp;&quot;&#39;");
}

static void a_name_cannot_open_an_element(void **state) {
  (void)state;
  expect_escaped("<script>alert(1)</script>",
                 "&lt;script&gt;alert(1)&lt;/script&gt;");
  expect_escaped("a\" onmouseover=\"x", "a&quot; onmouseover=&quot;x");
  expect_escaped("b' x='", "b&#39; x=&#39;");
}

static void an_entity_in_a_name_stays_text(void **state) {
  (void)state;
  expect_escaped("&lt;", "&amp;lt;");
  expect_escaped("R&D", "R&amp;D");
}

static void other_text_passes_unchanged(void **state) {
  (void)state;
  expect_escaped("crash64.scn", "crash64.scn");
  expect_escaped("rack-a/ä ✓", "rack-a/ä ✓"); /* UTF-8 bytes untouched */
  expect_escaped("", "");
  expect_escaped(NULL, "");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(the_five_characters_become_entities),
      cmocka_unit_test(a_name_cannot_open_an_element),
      cmocka_unit_test(an_entity_in_a_name_stays_text),
      cmocka_unit_test(other_text_passes_unchanged),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
