/*
 * The node's key: read as a start needs it, made where `key` points when
 * missing (a start only; --check reads, never writes), and what is wrong
 * with one that cannot be used, in words that say what to do.
 */
#include "identity_parts.h"

#include <errno.h>

int identity_make_key(const char *path, struct mb_identity *id,
                      struct agent_logger *log) {
  char dir[PATH_MAX];
  agent_dir_of(path, dir, sizeof(dir));
  int rc = agent_make_dirs(dir, 0700);
  if (rc == MB_OK) {
    mb_identity_generate(id);
    rc = mb_identity_save(id, path);
  }
  if (rc == MB_OK) {
    char hex[MB_NODE_ID_HEX_LEN + 1];
    mb_node_id_hex(hex, id->pk);
    agent_log(log, MB_LOG_INFO, json_pack("{s:s, s:s}", "key", path, "id", hex),
              "created node key %s", path);
  }
  return rc;
}

static void key_problem(const struct mb_agent_config *c, const char *path,
                        int rc, struct cfg_report *r) {
  if (rc == MB_EKEYPERM)
    cfg_report_add(r, c, "key",
                   "%s is readable by group or others; a leaked key is a "
                   "forged node: chmod 600 %s",
                   path, path);
  else if (rc == MB_EKEYFORMAT)
    cfg_report_add(r, c, "key",
                   "%s is not a meshbeat node key (meshbeat keygen writes "
                   "one; a missing key is made at start)",
                   path);
  else
    cfg_report_add(r, c, "key", "cannot %s %s: %s",
                   rc == -ENOENT ? "find" : "use", path, mb_strerror(rc));
}

/* A missing key is no problem: a start makes it, --check says nothing. */
enum key_state identity_check_key(const struct mb_agent_config *c,
                                  const char *path, struct mb_identity *id,
                                  struct cfg_report *r) {
  if (path[0] == '\0') {
    cfg_report_add(r, c, "key", "the path is too long");
    return KEY_BROKEN;
  }
  int rc = mb_identity_load(id, path);
  if (rc == -ENOENT)
    return KEY_ABSENT;
  if (rc == MB_OK)
    return KEY_OK;
  key_problem(c, path, rc, r);
  return KEY_BROKEN;
}
