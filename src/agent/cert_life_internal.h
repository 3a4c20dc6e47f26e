/*
 * The pieces of our certificate's life (cert_life.c), shared by its files.
 */
#ifndef MESHBEAT_AGENT_CERT_LIFE_INTERNAL_H
#define MESHBEAT_AGENT_CERT_LIFE_INTERNAL_H

#include "agent_state.h"

/* How long before expiry the warnings start, in seconds. */
int64_t cert_window_s(const struct mb_cert *c);
/* The milestone crossed last when left_ms remain (0: outside the window),
 * and the next one to cross (0: the expiry itself), in seconds. */
int64_t cert_mark_at(int64_t window, int64_t left_ms);
int64_t cert_mark_below(int64_t window, int64_t left_ms);
/* Milliseconds until our certificate expires (by the wall clock). */
int64_t cert_left_ms(const struct agent *a);
/* What the authority runs to renew us. */
void cert_renew_command(const struct agent *a, char *out, size_t cap);
void cert_format_expiry(const struct mb_cert *c, char *out, size_t cap);

/* cert_expiry.c: warns at each milestone once, leaves at expiry, and
 * sleeps until the next of them. */
void cert_life_check(struct agent *a);

#endif
