/*
 * The RAID settings judged together: an executor command that cannot run
 * is found at start (exit 2, naming the setting), not at the first failed
 * device hours later, when a rebuild is due; a voters list that can never
 * bootstrap (an even count, a name twice, in an open mesh a voter that is
 * no coordinator) is found before the mesh waits for it for ever.
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

/* Names as the members' certificates or settings give them, once each. */
static void check_names(const struct mb_agent_config *c, const char *key,
                        const char (*names)[MB_NAME_MAX + 1], size_t n,
                        struct cfg_report *r) {
  for (size_t j = 0; j < n; j++) {
    const char *name = names[j];
    size_t len = strlen(name);
    if (len == 0 || !mb_text_ok(name, MB_NAME_MAX) || !cfg_printable(name))
      cfg_report_listed(r, c, key, j,
                        "name %zu is not 1..%d bytes of printable UTF-8", j + 1,
                        MB_NAME_MAX);
    else if (name[0] == ' ' || name[len - 1] == ' ')
      cfg_report_listed(r, c, key, j,
                        "'%s' begins or ends with a space: no node's name "
                        "does (a list is NAME,NAME without spaces)",
                        name);
    for (size_t k = 0; k < j; k++)
      if (strcmp(names[k], name) == 0)
        cfg_report_listed(r, c, key, j, "'%s' is listed twice", name);
  }
}

static bool listed(const char (*names)[MB_NAME_MAX + 1], size_t n,
                   const char *name) {
  for (size_t j = 0; j < n; j++)
    if (strcmp(names[j], name) == 0)
      return true;
  return false;
}

/* Raft needs a majority of the voters: an even count tolerates no more
 * failures than one fewer, and in an open mesh only the listed
 * coordinator names are coordinators at all. */
static void check_voters(const struct mb_agent_config *c,
                         struct cfg_report *r) {
  const struct mb_agent_raid_config *raid = &c->raid;
  check_names(c, "raid.voters", raid->voters, raid->n_voters, r);
  check_names(c, "raid.coordinator_names", raid->coordinator_names,
              raid->n_coordinator_names, r);
  if (raid->n_voters != 0 && raid->n_voters != 1 && raid->n_voters != 3 &&
      raid->n_voters != 5)
    cfg_report_add(r, c, "raid.voters",
                   "%zu names: 1, 3 or 5 voters (a majority must stay up; an "
                   "even number tolerates no more failures than one fewer)",
                   raid->n_voters);
  if (!cfg_open_mesh(c))
    return;
  for (size_t j = 0; j < raid->n_voters; j++)
    if (!listed(raid->coordinator_names, raid->n_coordinator_names,
                raid->voters[j]))
      cfg_report_listed(r, c, "raid.voters", j,
                        "'%s' is not in raid.coordinator_names: without an "
                        "authority only the names listed there are "
                        "coordinators, so it could never bootstrap",
                        raid->voters[j]);
}

void cfg_check_raid(const struct mb_agent_config *c, struct cfg_report *r) {
  check_voters(c, r);
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
