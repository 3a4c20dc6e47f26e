/* The simulator's forgeable stand-in for Ed25519 (standin_scheme.c). */
#ifndef MESHBEAT_SIM_STANDIN_SCHEME_H
#define MESHBEAT_SIM_STANDIN_SCHEME_H

#include "mb_crypto.h"

extern const struct mb_sig_scheme sim_sig_standin;

#endif
