#include "shim/events.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "shim/loop.h"
#include "shim/proto/events.pb-c.h"
#include "shim/proto/ttrpc.pb-c.h"
#include "shim/shim.h"
#include "shim/ttrpc.h"

#define RETRY_MS 500
/* containerd refusing an event (not failing to receive it) is retried a
 * few times, then logged and dropped so one bad event cannot wedge the
 * queue. */
#define MAX_REJECTS 20

struct event
{
  struct event *next;
  uint8_t *req; /* packed ttrpc Request */
  size_t len;
  int rejects;
};

static struct
{
  char *path;
  char *ns;
  struct event *head, **tail;
  int count;
  struct shim_watch sock, timer;
  bool in_flight; /* head was sent, waiting for the response */
  uint32_t stream;
  uint8_t hdr[TTRPC_HEADER_LEN];
  size_t got;
  uint8_t *body;
  uint32_t body_len;
} ev = { .sock.fd = -1, .timer.fd = -1 };

static void try_send (void);

int
events_pending (void)
{
  return ev.count;
}

static void
disconnect (void)
{
  if (ev.sock.fd >= 0)
    {
      shim_loop_del (&ev.sock);
      close (ev.sock.fd);
    }
  ev.sock.fd = -1;
  ev.in_flight = false;
  ev.got = 0;
  free (ev.body);
  ev.body = NULL;
}

static void
arm_retry (void)
{
  struct itimerspec its
      = { .it_value = { .tv_sec = RETRY_MS / 1000, .tv_nsec = (RETRY_MS % 1000) * 1000000L } };
  timerfd_settime (ev.timer.fd, 0, &its, NULL);
}

static void
fail (const char *why)
{
  shim_debug ("events: %s; %d queued, retrying", why, ev.count);
  disconnect ();
  arm_retry ();
}

static void
pop (void)
{
  struct event *e = ev.head;
  ev.head = e->next;
  if (ev.head == NULL)
    ev.tail = &ev.head;
  ev.count--;
  free (e->req);
  free (e);
}

static void
response_done (void)
{
  Ttrpc__Response *resp = ttrpc__response__unpack (NULL, ev.body_len, ev.body);
  int code = resp == NULL ? RPC_UNKNOWN : resp->status ? resp->status->code : 0;
  free (ev.body);
  ev.body = NULL;
  ev.got = 0;
  ev.in_flight = false;
  if (code == 0)
    pop ();
  else if (++ev.head->rejects >= MAX_REJECTS)
    {
      shim_warn ("events: containerd rejected an event (%d: %s), dropping it", code,
                 resp && resp->status ? resp->status->message : "malformed response");
      pop ();
    }
  else
    {
      if (resp)
        ttrpc__response__free_unpacked (resp, NULL);
      arm_retry ();
      return;
    }
  if (resp)
    ttrpc__response__free_unpacked (resp, NULL);
  try_send ();
}

static void
sock_event (struct shim_watch *w, uint32_t events)
{
  for (;;)
    {
      ssize_t r;
      if (ev.got < TTRPC_HEADER_LEN)
        r = recv (w->fd, ev.hdr + ev.got, TTRPC_HEADER_LEN - ev.got, MSG_DONTWAIT);
      else
        r = recv (w->fd, ev.body + ev.got - TTRPC_HEADER_LEN, ev.body_len - (ev.got - TTRPC_HEADER_LEN),
                  MSG_DONTWAIT);
      if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return;
      if (r <= 0)
        {
          fail ("connection to containerd lost");
          return;
        }
      ev.got += (size_t)r;
      if (ev.got == TTRPC_HEADER_LEN)
        {
          uint32_t stream;
          uint8_t type, flags;
          ttrpc_get_header (ev.hdr, &ev.body_len, &stream, &type, &flags);
          if (ev.body_len > TTRPC_MAX_MESSAGE || type != TTRPC_TYPE_RESPONSE || stream != ev.stream)
            {
              fail ("unexpected frame from containerd");
              return;
            }
          ev.body = malloc (ev.body_len ? ev.body_len : 1);
          if (ev.body == NULL)
            {
              fail ("out of memory");
              return;
            }
        }
      if (ev.got >= TTRPC_HEADER_LEN && ev.got - TTRPC_HEADER_LEN == ev.body_len)
        {
          response_done ();
          return;
        }
    }
}

static int
connect_events (void)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  struct timeval tv = { .tv_sec = 2 };
  int fd;
  if (strlen (ev.path) >= sizeof addr.sun_path)
    return -1;
  strcpy (addr.sun_path, ev.path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  /* our events are small: a bounded blocking send keeps this simple */
  setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect (fd, (struct sockaddr *)&addr, sizeof addr) < 0)
    {
      close (fd);
      return -1;
    }
  ev.sock.fd = fd;
  ev.sock.cb = sock_event;
  if (shim_loop_add (&ev.sock, EPOLLIN) < 0)
    {
      close (fd);
      ev.sock.fd = -1;
      return -1;
    }
  return 0;
}

static void
try_send (void)
{
  uint8_t hdr[TTRPC_HEADER_LEN];
  struct iovec iov[2];
  struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
  size_t total;
  ssize_t r;
  if (ev.head == NULL || ev.in_flight || ev.path == NULL)
    return;
  if (ev.sock.fd < 0 && connect_events () < 0)
    {
      fail ("cannot connect to containerd");
      return;
    }
  ev.stream += 2;
  ttrpc_put_header (hdr, (uint32_t)ev.head->len, ev.stream, TTRPC_TYPE_REQUEST, 0);
  iov[0] = (struct iovec){ hdr, sizeof hdr };
  iov[1] = (struct iovec){ ev.head->req, ev.head->len };
  total = sizeof hdr + ev.head->len;
  do
    r = sendmsg (ev.sock.fd, &msg, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r != (ssize_t)total)
    {
      fail ("send to containerd failed");
      return;
    }
  ev.in_flight = true;
}

static void
timer_event (struct shim_watch *w, uint32_t events)
{
  uint64_t n;
  if (read (w->fd, &n, sizeof n) < 0)
    return;
  try_send ();
}

int
events_init (const char *ttrpc_address, const char *ns)
{
  if (ttrpc_address && strncmp (ttrpc_address, "unix://", 7) == 0)
    ttrpc_address += 7;
  ev.path = ttrpc_address && *ttrpc_address ? shim_strdup (ttrpc_address) : NULL;
  ev.ns = shim_strdup (ns);
  ev.tail = &ev.head;
  ev.stream = 1;
  ev.timer.fd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  ev.timer.cb = timer_event;
  if (ev.timer.fd < 0)
    return -1;
  return shim_loop_add (&ev.timer, EPOLLIN);
}

void
events_publish (const char *topic, const char *type_url, const ProtobufCMessage *msg)
{
  Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
  Containerd__Events__Envelope env = CONTAINERD__EVENTS__ENVELOPE__INIT;
  Containerd__Events__ForwardRequest fwd = CONTAINERD__EVENTS__FORWARD_REQUEST__INIT;
  Ttrpc__KeyValue kv = TTRPC__KEY_VALUE__INIT, *kvs[1] = { &kv };
  Ttrpc__Request req = TTRPC__REQUEST__INIT;
  struct timespec now;
  struct event *e;
  uint8_t *evbuf, *fwdbuf;

  shim_now (&now);
  ts.seconds = now.tv_sec;
  ts.nanos = (int32_t)now.tv_nsec;
  evbuf = malloc (protobuf_c_message_get_packed_size (msg) + 1);
  any.type_url = (char *)type_url;
  any.value.len = protobuf_c_message_pack (msg, evbuf);
  any.value.data = evbuf;
  env.timestamp = &ts;
  env.namespace_ = ev.ns;
  env.topic = (char *)topic;
  env.event = &any;
  fwd.envelope = &env;
  fwdbuf = malloc (containerd__events__forward_request__get_packed_size (&fwd) + 1);
  req.service = "containerd.services.events.ttrpc.v1.Events";
  req.method = "Forward";
  req.payload.data = fwdbuf;
  req.payload.len = containerd__events__forward_request__pack (&fwd, fwdbuf);
  kv.key = "containerd-namespace-ttrpc";
  kv.value = ev.ns;
  req.metadata = kvs;
  req.n_metadata = 1;
  e = calloc (1, sizeof *e);
  if (e == NULL || evbuf == NULL || fwdbuf == NULL)
    abort ();
  e->req = malloc (ttrpc__request__get_packed_size (&req) + 1);
  if (e->req == NULL)
    abort ();
  e->len = ttrpc__request__pack (&req, e->req);
  free (evbuf);
  free (fwdbuf);
  *ev.tail = e;
  ev.tail = &e->next;
  ev.count++;
  shim_debug ("events: %s queued (%d pending)", topic, ev.count);
  try_send ();
}
