/*
 * Deferred answers: a handler whose answer depends on something the loop
 * brings later (a Raft commit on the RAID coordinators) takes a token
 * with mb_admin_defer during its call and returns MB_ADMIN_DEFERRED; the
 * answer goes out with mb_admin_answer, on the connection that asked and
 * with the request's id, whenever it comes.  Meanwhile the connection
 * takes further requests (their answers may overtake it: clients match
 * answers by id), is not idle-closed, and an EOF from it waits for its
 * answers before the connection closes (`printf ... | nc -U` works).  A
 * connection that goes away forgets its pending answers: answering one
 * later sends nothing.
 */
#include "admin_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

uint64_t mb_admin_defer(struct mb_admin *a) {
  struct admin_conn *c = a->current;
  if (c == NULL || a->current_token != 0 || a->n_pending == ADMIN_PENDING_MAX)
    return 0;
  json_t *id = a->current_id ? json_deep_copy(a->current_id) : json_null();
  if (id == NULL)
    return 0;
  struct admin_pending *p = &a->pending[a->n_pending++];
  p->token = ++a->last_token;
  p->conn = c;
  p->id = id;
  c->pending++;
  admin_idle_forget(c); /* it waits for us, not the other way round */
  a->current_token = p->token;
  return p->token;
}

/* The entry leaves the table; its connection may go on or finish. */
static void take_out(struct mb_admin *a, size_t i) {
  struct admin_pending p = a->pending[i];
  a->pending[i] = a->pending[--a->n_pending];
  json_decref(p.id);
  struct admin_conn *c = p.conn;
  if (c == NULL || --c->pending > 0)
    return;
  if (c->finish_when_answered)
    admin_conn_finish(c);
  else if (c->state == ADMIN_CONN_OPEN && c->subs == 0)
    admin_idle_restart(c);
}

int mb_admin_answer(struct mb_admin *a, uint64_t token, json_t *result,
                    const struct mb_admin_error *err) {
  size_t i = 0;
  while (i < a->n_pending && a->pending[i].token != token)
    i++;
  if (i == a->n_pending || token == 0) {
    json_decref(result);
    return -ENOENT;
  }
  struct admin_pending *p = &a->pending[i];
  if (p->conn != NULL && p->conn->state == ADMIN_CONN_OPEN && !a->closing)
    admin_answer(p->conn, p->id, result, err);
  else
    json_decref(result);
  take_out(a, i);
  return 0;
}

void admin_pending_forget(struct admin_conn *c) {
  struct mb_admin *a = c->srv;
  for (size_t i = 0; i < a->n_pending; i++)
    if (a->pending[i].conn == c)
      a->pending[i].conn = NULL;
  c->pending = 0;
  c->finish_when_answered = false;
}

void admin_pending_free(struct mb_admin *a) {
  for (size_t i = 0; i < a->n_pending; i++)
    json_decref(a->pending[i].id);
  a->n_pending = 0;
}
