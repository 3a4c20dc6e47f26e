/*
 * The agent's only socket: one UDP socket, read in batches (recvmmsg), each
 * datagram handed to the core as it comes; the core's outputs are sent at
 * once with a non-blocking send (a full socket buffer drops the datagram,
 * as the network may).  The core's timer is the pump's (gossip_core.c).
 */
#include "agent_state.h"

#include <string.h>
#include <sys/socket.h>

/* Counted by kind for the metrics: a parse without any signature check is
 * well under a microsecond. */
static void count_sent(struct agent *a, const struct swim_output *o) {
  struct mb_datagram d;
  if (mb_wire_datagram_parse(o->buf, o->len, &d) != MB_OK ||
      d.msg.kind > MB_MSG_GOSSIP)
    return;
  a->counters.sent_by_kind[d.msg.kind]++;
  a->counters.sent_bytes_by_kind[d.msg.kind] += o->len;
  a->counters.sent_records += d.n_records;
  a->counters.sent_certs += d.n_certs;
  if (d.msg.kind == MB_MSG_GOSSIP)
    a->counters.sent_news += d.msg.summary_len / MB_SUMMARY_ENTRY_LEN;
}

void agent_net_send(struct agent *a, const struct swim_output *o) {
  count_sent(a, o);
  struct sockaddr_storage ss;
  agent_to_sockaddr(&o->to, &ss);
  uv_buf_t buf = uv_buf_init((char *)o->buf, (unsigned)o->len);
  if (uv_udp_try_send(&a->udp, &buf, 1, (const struct sockaddr *)&ss) < 0)
    a->counters.send_errors++;
}

/*
 * What already waits in the socket is read before the core's timers are
 * judged.  After a stall (the process descheduled on a busy host, a slow
 * disk) libuv runs the timers that came due before it polls the socket: a
 * probe whose ack sat unread was judged failed, and a suspicion whose
 * refutation sat unread timed out.  At most DRAIN_MAX, so that a flood
 * cannot hold the timers back.
 */
#define DRAIN_BATCH 8
#define DRAIN_MAX 256

void agent_net_drain(struct agent *a) {
  int fd;
  if (uv_fileno((uv_handle_t *)&a->udp, &fd) != 0)
    return;
  struct mmsghdr msgs[DRAIN_BATCH];
  struct iovec iov[DRAIN_BATCH];
  struct sockaddr_storage from[DRAIN_BATCH];
  const size_t slot = sizeof(a->rxbuf) / DRAIN_BATCH;
  for (int total = 0; total < DRAIN_MAX;) {
    memset(msgs, 0, sizeof(msgs));
    for (int i = 0; i < DRAIN_BATCH; i++) {
      iov[i] = (struct iovec){a->rxbuf + (size_t)i * slot, slot};
      msgs[i].msg_hdr = (struct msghdr){.msg_name = &from[i],
                                        .msg_namelen = sizeof(from[i]),
                                        .msg_iov = &iov[i],
                                        .msg_iovlen = 1};
    }
    int n = recvmmsg(fd, msgs, DRAIN_BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0)
      return;
    for (int i = 0; i < n; i++) {
      struct mb_addr src;
      if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
        a->counters.recv_errors++;
        continue;
      }
      if (agent_from_sockaddr((struct sockaddr *)&from[i], &src))
        swim_receive(a->swim, agent_now(a), &src, iov[i].iov_base,
                     msgs[i].msg_len);
    }
    total += n;
    agent_flush(a); /* the answers leave before the next batch */
  }
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  (void)hint;
  struct agent *a = h->data;
  *buf = uv_buf_init((char *)a->rxbuf, sizeof(a->rxbuf));
}

static void on_recv(uv_udp_t *u, ssize_t n, const uv_buf_t *buf,
                    const struct sockaddr *from, unsigned flags) {
  (void)buf;
  struct agent *a = u->data;
  if (n < 0 || (flags & UV_UDP_PARTIAL)) {
    a->counters.recv_errors++;
    return;
  }
  struct mb_addr src;
  if (n == 0 || from == NULL || !agent_from_sockaddr(from, &src))
    return; /* end of a batch, or nothing */
  swim_receive(a->swim, agent_now(a), &src, (const uint8_t *)buf->base,
               (size_t)n);
  agent_flush(a);
}

static int bind_addr(const char *text, struct sockaddr_storage *ss,
                     struct mb_addr *m) {
  int rc = mb_addr_parse(text, m);
  if (rc == MB_OK)
    agent_to_sockaddr(m, ss);
  return rc;
}

int agent_net_open(struct agent *a) {
  struct sockaddr_storage ss;
  struct mb_addr bind;
  if (bind_addr(a->cfg->bind, &ss, &bind) != MB_OK) {
    agent_log(a->log, MB_LOG_ERROR, NULL, "bind address '%s' is not HOST:PORT",
              a->cfg->bind);
    return MB_EINVAL;
  }
  int domain = bind.family == 6 ? AF_INET6 : AF_INET;
  int rc =
      uv_udp_init_ex(&a->loop, &a->udp, (unsigned)domain | UV_UDP_RECVMMSG);
  if (rc == 0)
    rc = uv_udp_bind(&a->udp, (const struct sockaddr *)&ss, 0);
  if (rc == 0) {
    /* Room for a burst: a join answer is a few dozen datagrams at once. */
    int size = 4 << 20;
    uv_recv_buffer_size((uv_handle_t *)&a->udp, &size);
    size = 4 << 20;
    uv_send_buffer_size((uv_handle_t *)&a->udp, &size);
    a->udp.data = a;
    rc = uv_udp_recv_start(&a->udp, on_alloc, on_recv);
  }
  if (rc != 0) {
    agent_log(a->log, MB_LOG_ERROR, NULL, "cannot bind UDP %s: %s",
              a->cfg->bind, uv_strerror(rc));
    return rc;
  }
  return MB_OK;
}
