# Scenario tests (ctest -L sim).  Each runs one file of sim/scenarios with
# the seed written in it; the file's `expect` lines are the assertions and
# meshbeat-sim exits 0 only when all of them hold.  docs/sim.md derives
# every bound.

function(meshbeat_sim_test name timeout)
  add_test(NAME sim_${name}
           COMMAND meshbeat-sim run
                   ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/${name}.scn ${ARGN})
  set_tests_properties(sim_${name} PROPERTIES TIMEOUT ${timeout} LABELS sim)
endfunction()

# The same file under several seeds, each its own test sim_<name>_s<seed>:
#   meshbeat_sim_seeds(name timeout SEEDS 1 2 3 [ARGS --standin-crypto ...])
# A bound derived from the protocol must hold for any seed, not only for
# the one written in the file.
function(meshbeat_sim_seeds name timeout)
  cmake_parse_arguments(PARSE_ARGV 2 SIM "" "" "SEEDS;ARGS")
  if(NOT SIM_SEEDS)
    message(FATAL_ERROR "meshbeat_sim_seeds(${name}): no SEEDS")
  endif()
  foreach(seed ${SIM_SEEDS})
    add_test(NAME sim_${name}_s${seed}
             COMMAND meshbeat-sim run
                     ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/${name}.scn
                     --seed ${seed} ${SIM_ARGS})
    set_tests_properties(sim_${name}_s${seed} PROPERTIES
                         TIMEOUT ${timeout} LABELS sim)
  endforeach()
endfunction()

meshbeat_sim_test(smoke 60)
meshbeat_sim_test(crash64 120)
meshbeat_sim_test(frozen 120)
meshbeat_sim_test(partition 180)
meshbeat_sim_test(old_incarnation 60)
meshbeat_sim_test(leave 60)
# The authority revokes a member: refused by all within 2 s, nobody else
# suspected (three seeds: a bound must hold for any).
meshbeat_sim_seeds(revoke 60 SEEDS 17 18 19)
meshbeat_sim_test(slow 60)
meshbeat_sim_test(oneway 60)
meshbeat_sim_test(skew 60)
meshbeat_sim_test(lost_disk 60)
# 1000 nodes through 3 seeds, with stand-in signatures (Ed25519 at this size
# is the cores' cost, not the simulator's): about 30 s of wall time.
meshbeat_sim_test(join1000 600 --standin-crypto)
# The same mesh started 5x faster, under loss: about 20 s of wall time.
meshbeat_sim_test(joinstorm 600 --standin-crypto)
meshbeat_sim_test(restart_all 120)

# Adversity: no healthy member is declared dead by anyone, each over
# several seeds (the file's own first).  docs/sim.md gives the bounds.
meshbeat_sim_seeds(flapping 120 SEEDS 31 1 2)
meshbeat_sim_seeds(mute 120 SEEDS 37 1 2)
meshbeat_sim_seeds(partition3 120 SEEDS 41 1 2 3)
meshbeat_sim_seeds(malicious 120 SEEDS 53 1 2)
meshbeat_sim_seeds(frozen 120 SEEDS 1 2)
meshbeat_sim_seeds(crash64 120 SEEDS 1 2 3)
# Rapid's two experiments at 1000 nodes (stand-in signatures, set in the
# files): about a minute of wall time each, so one seed, and label `heavy`
# (the ASan run leaves them out: make test-asan).
foreach(name lossy_rapid ingress_flap)
  meshbeat_sim_test(${name} 900)
  set_tests_properties(sim_${name} PROPERTIES LABELS "sim;heavy")
endforeach()

# Determinism: the scenario checks itself (`expect trace_hash stable` runs
# it twice in one process); this runs it twice more as separate processes
# and compares the printed hashes, and checks another seed differs.
add_test(NAME sim_determinism
         COMMAND ${CMAKE_COMMAND} -DSIM=$<TARGET_FILE:meshbeat-sim>
                 -DSCENARIO=${CMAKE_CURRENT_SOURCE_DIR}/scenarios/determinism.scn
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/tests/same_hash.cmake)
set_tests_properties(sim_determinism PROPERTIES TIMEOUT 120 LABELS sim)

# Every scenario file parses; every broken one is refused with its line.
file(GLOB MESHBEAT_SIM_SCENARIOS ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/*.scn)
add_test(NAME sim_scenarios_parse
         COMMAND meshbeat-sim check ${MESHBEAT_SIM_SCENARIOS})
set_tests_properties(sim_scenarios_parse PROPERTIES TIMEOUT 30 LABELS sim)
add_test(NAME sim_scenario_errors
         COMMAND ${CMAKE_COMMAND} -DSIM=$<TARGET_FILE:meshbeat-sim>
                 -DDIR=${CMAKE_CURRENT_SOURCE_DIR}/tests/errors
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/tests/errors.cmake)
set_tests_properties(sim_scenario_errors PROPERTIES TIMEOUT 30 LABELS sim)
# A scenario whose raid action cannot apply fails the run (exit 2, naming
# the line): `crash raid leader` with no leader, `restart raid leader`
# with none crashed.
add_test(NAME sim_raid_run_errors
         COMMAND ${CMAKE_COMMAND} -DSIM=$<TARGET_FILE:meshbeat-sim>
                 -DDIR=${CMAKE_CURRENT_SOURCE_DIR}/tests/run_errors -DCMD=run
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/tests/errors.cmake)
set_tests_properties(sim_raid_run_errors PROPERTIES TIMEOUT 30 LABELS sim)

# RAID on Raft (issue 12 "Done when", first point): every node runs its
# coordinator (sim/raid.h); the verdicts come from the independent history
# checker.  A crash rebuilt; a return resynced, not rebuilt; a flapping
# member never rebuilt; a whole domain down never put out; the leader
# crashed mid-rebuild and the array healthy again.  Each well under a
# second of wall time; the file's seed and two more.
meshbeat_sim_seeds(raid_crash 60 SEEDS 3 1 2)
meshbeat_sim_seeds(raid_return 60 SEEDS 5 1 2)
meshbeat_sim_seeds(raid_flap 60 SEEDS 7 1 2)
meshbeat_sim_seeds(raid_domain 60 SEEDS 11 1 2)
# The domain back long after the grace: resynced, neither device put out.
meshbeat_sim_seeds(raid_domain_return 60 SEEDS 11 1 2 3)
meshbeat_sim_seeds(raid_leader_crash 60 SEEDS 13 1 2)

# `run --seeds A..B`: many seeds in one process, one line per failing seed.
add_test(NAME sim_seeds
         COMMAND ${CMAKE_COMMAND} -DSIM=$<TARGET_FILE:meshbeat-sim>
                 -DSCENARIOS=${CMAKE_CURRENT_SOURCE_DIR}/scenarios
                 -DCASES=${CMAKE_CURRENT_SOURCE_DIR}/tests/seeds
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/tests/seeds.cmake)
set_tests_properties(sim_seeds PROPERTIES TIMEOUT 60 LABELS sim)

# The RAID fault campaign (issue 12: "safety is checked over thousands of
# seeds"): sim/scenarios/raid_campaign.scn (12 devices in 3 domains, 3
# voters, three arrays, faults drawn from the seed every 10 s for 3 minutes
# by `faults random`, then healed; docs/sim.md "Random faults and the
# campaign") under seeds 1..1000, judged by the independent history
# checker (sim/raid_history.h).  `--seeds A..B`: one process per range,
# each seed a fresh struct sim, one line per failing seed (replay it alone
# with --seed N --timeline FILE).  8 ranges of 125 seeds, label
# "sim;campaign", so `ctest -j2` keeps both cores busy and a hang names
# its range.  With stand-in signatures (what the campaign tests is the
# coordinators, not Ed25519): about 0.3 s of CPU per seed, 5 minutes for
# the 1000 on this 2-core machine (docs/sim.md).
foreach(k RANGE 0 7)
  math(EXPR lo "${k} * 125 + 1")
  math(EXPR hi "${k} * 125 + 125")
  add_test(NAME sim_raid_campaign_${k}
           COMMAND meshbeat-sim run
                   ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/raid_campaign.scn
                   --seeds ${lo}..${hi} --standin-crypto)
  set_tests_properties(sim_raid_campaign_${k} PROPERTIES TIMEOUT 300
                       LABELS "sim;campaign")
endforeach()

# The bridge's election and event derivation run by every node over its
# own view (sim/bridge.c, docs/sim.md "The bridge"): a crash of the active
# bridge, a flapping member under offline_after, a partition and its heal.
# Under a second of wall time each.
meshbeat_sim_seeds(bridge_crash 60 SEEDS 61 1 2)
meshbeat_sim_seeds(bridge_flap 60 SEEDS 67 1 2)
meshbeat_sim_seeds(bridge_partition 60 SEEDS 71 1 2)
