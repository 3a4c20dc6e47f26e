/*
 * The RAID settings judged together: an executor command that cannot run
 * is found at start (exit 2, naming the setting), not at the first failed
 * device hours later, when a rebuild is due.
 */
#include "config_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The command's first word, when it names a file by path ("/usr/...",
 * "./hook"): that file must be an executable regular file.  A bare name
 * is looked up in PATH by the shell when the task runs. */
static void check_executor_file(const struct mb_agent_config *c,
                                const char *cmd, struct cfg_report *r) {
  char word[MB_AGENT_TEXT];
  size_t n = strcspn(cmd, " \t");
  snprintf(word, sizeof(word), "%.*s", (int)n, cmd);
  if (strchr(word, '/') == NULL || strpbrk(word, "'\"$`\\") != NULL)
    return; /* a bare name, or shell syntax: the shell judges it */
  struct stat st;
  if (stat(word, &st) != 0)
    cfg_report_add(r, c, "raid.executor", "%s: %s", word, strerror(errno));
  else if (!S_ISREG(st.st_mode) || access(word, X_OK) != 0)
    cfg_report_add(r, c, "raid.executor", "%s is not an executable file", word);
}

void cfg_check_raid(const struct mb_agent_config *c, struct cfg_report *r) {
  const char *cmd = c->raid.executor;
  cmd += strspn(cmd, " \t");
  if (cmd[0] == '\0') {
    cfg_report_add(r, c, "raid.executor",
                   "must be \"builtin\" or a command to run");
    return;
  }
  if (!cfg_printable(cmd)) {
    cfg_report_add(r, c, "raid.executor", "must be printable text");
    return;
  }
  if (strcmp(cmd, "builtin") != 0)
    check_executor_file(c, cmd, r);
}
