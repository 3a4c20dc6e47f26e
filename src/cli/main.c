/* meshbeat: dispatch to one command per file. */
#include "cli.h"

#include <sodium.h>
#include <string.h>

struct command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
};

static int cmd_version(int argc, char **argv);
static int cmd_help(int argc, char **argv);

static const struct command commands[] = {
    {"agent", cmd_agent, "run the agent (a member of the mesh)"},
    {"keygen", cmd_keygen, "create a node or authority key"},
    {"id", cmd_id, "print the node id of a key file"},
    {"cert", cmd_cert, "issue or revoke admission certificates"},
    {"wire", cmd_wire, "write sample signed datagrams"},
    {"inspect", cmd_inspect, "decode and verify a datagram or certificate"},
    {"members", cmd_members, "list the members the agent knows"},
    {"member", cmd_member, "show one member by name or id prefix"},
    {"info", cmd_info, "show the local agent"},
    {"events", cmd_events, "show membership events, or --follow them"},
    {"metrics", cmd_metrics, "print the agent's Prometheus metrics"},
    {"health", cmd_health, "show the agent's health checks"},
    {"join", cmd_join, "join the mesh through given members"},
    {"leave", cmd_leave, "leave the mesh gracefully"},
    {"revoke", cmd_revoke, "hand a signed revocation to the agent"},
    {"records", cmd_records, "list the revocations the agent holds"},
    {"bridge", cmd_bridge, "show the active bridge and its outbox"},
    {"raid", cmd_raid, "create, remove, list and show RAID arrays; drain"},
    {"tasks", cmd_tasks, "list the RAID reconstruction tasks"},
    {"ledger", cmd_ledger, "show the RAID capacity ledger"},
    {"coordinator", cmd_coordinator, "show the RAID coordinators' Raft"},
    {"version", cmd_version, "print the version"},
    {"help", cmd_help, "show this help"},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void print_usage(FILE *f) {
  fprintf(f, "usage: meshbeat COMMAND [options]\n\ncommands:\n");
  for (size_t i = 0; i < N_COMMANDS; i++)
    fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].summary);
  fprintf(f, "\nRun 'meshbeat COMMAND --help' for a command's options.\n");
}

static int cmd_version(int argc, char **argv) {
  (void)argc, (void)argv;
  printf("meshbeat %s (libsodium %s)\n", MESHBEAT_VERSION,
         sodium_version_string());
  return CLI_EXIT_OK;
}

static int cmd_help(int argc, char **argv) {
  (void)argc, (void)argv;
  print_usage(stdout);
  return CLI_EXIT_OK;
}

int main(int argc, char **argv) {
  if (sodium_init() < 0) {
    fprintf(stderr, "meshbeat: libsodium failed to initialise\n");
    return CLI_EXIT_FAIL;
  }
  if (argc < 2) {
    print_usage(stderr);
    return CLI_EXIT_USAGE;
  }
  const char *name = argv[1];
  if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
    return cmd_help(0, NULL);
  if (strcmp(name, "--version") == 0)
    return cmd_version(0, NULL);
  for (size_t i = 0; i < N_COMMANDS; i++)
    if (strcmp(commands[i].name, name) == 0)
      return commands[i].run(argc - 1, argv + 1);
  fprintf(stderr, "meshbeat: unknown command '%s'\n", name);
  print_usage(stderr);
  return CLI_EXIT_USAGE;
}
