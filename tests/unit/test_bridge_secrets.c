/*
 * The bridge's secrets read from real files (src/agent/bridge_secrets.h):
 * what each file accepts, what it refuses and how the refusal is worded
 * (the setting, the file, the line; never the secret's bytes), and that a
 * failed load and a wipe leave nothing behind.
 */
#include "test_util.h"

#include "bridge_secrets.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

struct files {
  char dir[64];
  int n;
};

/* A file of the given bytes in a fresh directory; its path into out. */
static void put(struct files *f, const char *bytes, size_t len, char *out,
                size_t cap) {
  snprintf(out, cap, "%s/f%d", f->dir, f->n++);
  FILE *fp = fopen(out, "wb");
  assert_non_null(fp);
  assert_int_equal(fwrite(bytes, 1, len, fp), len);
  assert_int_equal(fclose(fp), 0);
}

static void put_text(struct files *f, const char *text, char *out, size_t cap) {
  put(f, text, strlen(text), out, cap);
}

static int setup(void **state) {
  struct files *f = calloc(1, sizeof(*f));
  snprintf(f->dir, sizeof(f->dir), "/tmp/mb-secrets-XXXXXX");
  if (f == NULL || mkdtemp(f->dir) == NULL)
    return -1;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  struct files *f = *state;
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
  int rc = system(cmd);
  free(f);
  return rc == 0 ? 0 : -1;
}

static const char SECRET_TOKEN[] = "tok-SEKRIT-7f3a9c";

/* Loads c; returns the code, the lines in err. */
static int load(const struct mb_agent_bridge_config *c,
                struct agent_bridge_secrets *s, char *err, size_t cap) {
  memset(s, 0x5a, sizeof(*s)); /* a load must not trust what was there */
  return agent_bridge_secrets_load(c, s, err, cap);
}

static bool all_zero(const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++)
    if (b[i] != 0)
      return false;
  return true;
}

static void a_token_file_is_one_line(void **state) {
  struct files *f = *state;
  struct mb_agent_bridge_config c = {0};
  struct agent_bridge_secrets s;
  char err[1024];
  put_text(f, "tok-SEKRIT-7f3a9c\n", c.token_file, sizeof(c.token_file));
  assert_ok(load(&c, &s, err, sizeof(err)));
  assert_string_equal(s.token, SECRET_TOKEN);
  assert_int_equal(s.n_flynas, 0);
  assert_null(s.flynas);
  assert_int_equal(s.n_webhook, 0);
  agent_bridge_secrets_wipe(&s);
  /* no newline at all is one line too */
  put_text(f, SECRET_TOKEN, c.token_file, sizeof(c.token_file));
  assert_ok(load(&c, &s, err, sizeof(err)));
  assert_string_equal(s.token, SECRET_TOKEN);
  agent_bridge_secrets_wipe(&s);
  /* nothing set: nothing read */
  memset(&c, 0, sizeof(c));
  assert_ok(load(&c, &s, err, sizeof(err)));
  assert_string_equal(s.token, "");
  agent_bridge_secrets_wipe(&s);
}

static void bad_token_files_are_refused_without_their_bytes(void **state) {
  struct files *f = *state;
  static const char *const bad[] = {
      "",                            /* empty */
      "\n",                          /* empty line */
      "tok-SEKRIT-7f3a9c\nsecond\n", /* two lines */
      "tok-SEKRIT-7f3a9c\r\n",       /* CR */
      "tok-SEKRIT 7f3a9c\n",         /* a space */
      "tok-SEKRIT\t7f3a9c",          /* a tab */
  };
  struct mb_agent_bridge_config c = {0};
  struct agent_bridge_secrets s;
  char err[1024];
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    put_text(f, bad[i], c.token_file, sizeof(c.token_file));
    assert_rc(load(&c, &s, err, sizeof(err)), MB_EINVAL);
    assert_non_null(strstr(err, "bridge.token_file: "));
    assert_non_null(strstr(err, c.token_file));
    assert_null(strstr(err, "SEKRIT"));
    assert_true(all_zero(&s, sizeof(s)));
  }
  /* 1024 bytes is a token; 1025 is not */
  char big[AGENT_BRIDGE_TOKEN_MAX + 2];
  memset(big, 'a', sizeof(big));
  put(f, big, AGENT_BRIDGE_TOKEN_MAX, c.token_file, sizeof(c.token_file));
  assert_ok(load(&c, &s, err, sizeof(err)));
  assert_int_equal(strlen(s.token), AGENT_BRIDGE_TOKEN_MAX);
  agent_bridge_secrets_wipe(&s);
  put(f, big, AGENT_BRIDGE_TOKEN_MAX + 1, c.token_file, sizeof(c.token_file));
  assert_rc(load(&c, &s, err, sizeof(err)), MB_EINVAL);
  assert_non_null(strstr(err, "longer than 1024 bytes"));
  assert_null(strstr(err, "aaaa"));
}

static void unreadable_and_odd_files_are_named(void **state) {
  struct files *f = *state;
  struct mb_agent_bridge_config c = {0};
  struct agent_bridge_secrets s;
  char err[1024];
  snprintf(c.token_file, sizeof(c.token_file), "%s/absent", f->dir);
  assert_rc(load(&c, &s, err, sizeof(err)), MB_EINVAL);
  assert_non_null(strstr(err, "bridge.token_file: "));
  assert_non_null(strstr(err, "absent: cannot read it"));
  /* a FIFO is refused at once, not waited on */
  snprintf(c.token_file, sizeof(c.token_file), "%s/fifo", f->dir);
  assert_int_equal(mkfifo(c.token_file, 0600), 0);
  assert_rc(load(&c, &s, err, sizeof(err)), MB_EINVAL);
  assert_non_null(strstr(err, "is not a regular file"));
}

static const char FLYNAS[] = "# Flynas devices and their tokens\n"
                             "\n"
                             "nas-1 tok-SEKRIT-one\n"
                             "   # an indented comment\n"
                             "nas-2\t \ttok-SEKRIT-two   \n"
                             "nas-3 tok-SEKRIT-three";

static void flynas_tokens_by_device(void **state) {
  struct files *f = *state;
  struct mb_agent_bridge_config c = {0};
  struct agent_bridge_secrets s;
  char err[1024];
  put_text(f, FLYNAS, c.flynas_token_file, sizeof(c.flynas_token_file));
  assert_ok(load(&c, &s, err, sizeof(err)));
  assert_int_equal(s.n_flynas, 3);
  assert_string_equal(s.token, "");
  assert_string_equal(agent_bridge_flynas_token(&s, "nas-1"), "tok-SEKRIT-one");
  assert_string_equal(agent_bridge_flynas_token(&s, "nas-2"), "tok-SEKRIT-two");
  assert_string_equal(agent_bridge_flynas_token(&s, "nas-3"),
                      "tok-SEKRIT-three");
  assert_null(agent_bridge_flynas_token(&s, "nas-4"));
  assert_null(agent_bridge_flynas_token(&s, "nas"));
  agent_bridge_secrets_wipe(&s);
  assert_null(s.flynas);
  assert_int_equal(s.n_flynas, 0);
  assert_null(agent_bridge_flynas_token(&s, "nas-1"));
}

static void flynas_file_problems_name_lines_not_tokens(void **state) {
  struct files *f = *state;
  struct mb_agent_bridge_config c = {0};
  struct agent_bridge_secrets s;
  char err[2048];
  put_text(f,
           "nas-1 tok-SEKRIT-one\n"
           "tok-SEKRIT-alone\n"           /* line 2: one field */
           "nas-1 tok-SEKRIT-again\n"     /* line 3: named twice */
           "nas-2 tok-SEKRIT-two extra\n" /* line 4: three fields */
           "nas-3 tok-SEKRIT-three\r\n"   /* line 5: CR */
           "nas-4 tok-SEKRIT-four\n",
           c.flynas_token_file, sizeof(c.flynas_token_file));
  assert_rc(load(&c, &s, err, sizeof(err)), MB_EINVAL);
  assert_non_null(strstr(err, "bridge.flynas.token_file: "));
  assert_non_null(strstr(err, "line 2: is not DEVICE-NAME TOKEN"));
  assert_non_null(strstr(err, "line 3 names the same device as line 1"));
  assert_non_null(strstr(err, "line 4: is not DEVICE-NAME TOKEN"));
  assert_non_null(strstr(err, "line 5: has a carriage return"));
  assert_null(strstr(err, "line 6"));
  assert_null(strstr(err, "SEKRIT"));
  assert_true(all_zero(&s, sizeof(s)));
}

static void a_device_named_twice_is_refused(void **state) {
  struct files *f = *state;
  struct mb_agent_bridge_config c = {0};
  struct agent_bridge_secrets s;
  char err[1024];
  put_text(f, "a x1\nb x2\n# c\na x3\n", c.flynas_token_file,
           sizeof(c.flynas_token_file));
  assert_rc(load(&c, &s, err, sizeof(err)), MB_EINVAL);
  assert_non_null(strstr(err, "line 4 names the same device as line 1"));
  /* comments alone: no device, which Flynas could not be told about */
  put_text(f, "# nothing yet\n\n", c.flynas_token_file,
           sizeof(c.flynas_token_file));
  assert_rc(load(&c, &s, err, sizeof(err)), MB_EINVAL);
  assert_non_null(strstr(err, "names no device"));
}

/* whsec_ and the base64 of len bytes of fill. */
static void whsec(char *out, size_t cap, uint8_t fill, size_t len) {
  uint8_t key[MB_WEBHOOK_SECRET_MAX + 8];
  memset(key, fill, sizeof(key));
  memcpy(out, "whsec_", 6);
  sodium_bin2base64(out + 6, cap - 6, key, len, sodium_base64_VARIANT_ORIGINAL);
}

static void webhook_secrets_rotate(void **state) {
  struct files *f = *state;
  struct mb_agent_bridge_config c = {0};
  struct agent_bridge_secrets s;
  char err[1024], a[128], b[128], text[300];
  whsec(a, sizeof(a), 0x11, 32);
  whsec(b, sizeof(b), 0x22, 24);
  snprintf(text, sizeof(text), "%s\n%s\n", a, b);
  put_text(f, text, c.webhook_secret_file, sizeof(c.webhook_secret_file));
  assert_ok(load(&c, &s, err, sizeof(err)));
  assert_int_equal(s.n_webhook, 2);
  assert_int_equal(s.webhook[0].len, 32);
  assert_int_equal(s.webhook[0].key[0], 0x11);
  assert_int_equal(s.webhook[1].len, 24);
  agent_bridge_secrets_wipe(&s);
  assert_true(all_zero(&s, sizeof(s)));
}

static void malformed_webhook_secrets_stay_unsaid(void **state) {
  struct files *f = *state;
  struct mb_agent_bridge_config c = {0};
  struct agent_bridge_secrets s;
  char err[1024], shorter[128];
  put_text(f, "whsec_SEKRIT%%%%\n", c.webhook_secret_file,
           sizeof(c.webhook_secret_file));
  assert_rc(load(&c, &s, err, sizeof(err)), MB_EINVAL);
  assert_non_null(strstr(err, "bridge.webhook.secret_file: "));
  assert_non_null(strstr(err, "is not one or more whsec_<base64> secrets"));
  assert_null(strstr(err, "SEKRIT"));
  whsec(shorter, sizeof(shorter), 0x33, MB_WEBHOOK_SECRET_MIN - 1);
  put_text(f, shorter, c.webhook_secret_file, sizeof(c.webhook_secret_file));
  assert_rc(load(&c, &s, err, sizeof(err)), MB_EINVAL);
  assert_non_null(strstr(err, "key is not 24..64 bytes"));
  assert_null(strstr(err, shorter + 6));
  assert_true(all_zero(&s, sizeof(s)));
}

/* One bad file fails the load, every problem is said, and what the good
 * files gave is wiped. */
static void one_bad_file_fails_the_whole_load(void **state) {
  struct files *f = *state;
  struct mb_agent_bridge_config c = {0};
  struct agent_bridge_secrets s;
  char err[1024];
  put_text(f, "tok-SEKRIT-7f3a9c\n", c.token_file, sizeof(c.token_file));
  put_text(f, FLYNAS, c.flynas_token_file, sizeof(c.flynas_token_file));
  put_text(f, "nonsense\n", c.webhook_secret_file,
           sizeof(c.webhook_secret_file));
  assert_rc(load(&c, &s, err, sizeof(err)), MB_EINVAL);
  assert_true(all_zero(&s, sizeof(s)));
  assert_null(strchr(err, '\n')); /* one problem, one line */
  snprintf(c.token_file, sizeof(c.token_file), "%s/absent", f->dir);
  assert_rc(load(&c, &s, err, sizeof(err)), MB_EINVAL);
  assert_non_null(strstr(err, "bridge.token_file: "));
  assert_non_null(strstr(err, "\nbridge.webhook.secret_file: "));
  /* a short buffer cuts the text, never overruns it */
  char tiny[16];
  assert_rc(load(&c, &s, tiny, sizeof(tiny)), MB_EINVAL);
  assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(a_token_file_is_one_line, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(
          bad_token_files_are_refused_without_their_bytes, setup, teardown),
      cmocka_unit_test_setup_teardown(unreadable_and_odd_files_are_named, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(flynas_tokens_by_device, setup, teardown),
      cmocka_unit_test_setup_teardown(
          flynas_file_problems_name_lines_not_tokens, setup, teardown),
      cmocka_unit_test_setup_teardown(a_device_named_twice_is_refused, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(webhook_secrets_rotate, setup, teardown),
      cmocka_unit_test_setup_teardown(malformed_webhook_secrets_stay_unsaid,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(one_bad_file_fails_the_whole_load, setup,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
