/* meshbeat agent: everything lives in src/agent; this is the entry. */
#include "cli.h"
#include "mb_agent.h"

int cmd_agent(int argc, char **argv) {
  return mb_agent_main(argc, argv);
}
