#include "shim/ttrpc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "shim/loop.h"
#include "shim/proto/ttrpc.pb-c.h"
#include "shim/shim.h"

struct conn
{
  struct shim_watch w;
  uint64_t id;
  struct conn *next;
  uint8_t hdr[TTRPC_HEADER_LEN];
  size_t hdr_got;
  uint32_t len, stream;
  uint8_t type;
  uint8_t *body; /* NULL while discarding an oversize message */
  size_t body_got;
  uint8_t *out; /* unsent reply bytes are out[out_off..out_len) */
  size_t out_len, out_off, out_cap;
  uint32_t events; /* what the loop watches for now */
};

static struct shim_watch listener;
static const struct ttrpc_method *table;
static struct conn *conns;
static uint64_t next_id = 1;
static void (*close_hook) (uint64_t conn);

void
ttrpc_on_close (void (*fn) (uint64_t conn))
{
  close_hook = fn;
}

int
ttrpc_server_connections (void)
{
  int n = 0;
  for (struct conn *c = conns; c; c = c->next)
    n++;
  return n;
}

static struct conn *
find_conn (uint64_t id)
{
  for (struct conn *c = conns; c; c = c->next)
    if (c->id == id)
      return c;
  return NULL;
}

static void
conn_close (struct conn *c)
{
  for (struct conn **p = &conns; *p; p = &(*p)->next)
    if (*p == c)
      {
        *p = c->next;
        break;
      }
  shim_loop_del (&c->w);
  close (c->w.fd);
  if (close_hook)
    close_hook (c->id);
  free (c->body);
  free (c->out);
  free (c);
}

/* A client that does not read its replies stops being read from once
 * this much is waiting for it, instead of growing our buffer. */
#define OUT_HIGH (1u << 20)
#define OUT_KEEP 16384

static int
conn_watch (struct conn *c)
{
  uint32_t ev = 0;
  if (c->out_off < c->out_len)
    ev |= EPOLLOUT;
  if (c->out_len - c->out_off < OUT_HIGH)
    ev |= EPOLLIN;
  if (ev == c->events)
    return 0;
  c->events = ev;
  return shim_loop_mod (&c->w, ev);
}

/* Write what we can; keep the rest for EPOLLOUT. */
static int
conn_flush (struct conn *c)
{
  while (c->out_off < c->out_len)
    {
      ssize_t r = send (c->w.fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0 && errno == EAGAIN)
        break;
      if (r < 0)
        return -1;
      c->out_off += (size_t)r;
    }
  if (c->out_off == c->out_len)
    {
      c->out_len = c->out_off = 0;
      if (c->out_cap > OUT_KEEP)
        {
          /* back to nothing when idle: keep the resident set small */
          free (c->out);
          c->out = NULL;
          c->out_cap = 0;
        }
    }
  return conn_watch (c);
}

/* Room for `need` more bytes at out + out_len. */
static int
conn_reserve (struct conn *c, size_t need)
{
  if (c->out_len + need <= c->out_cap)
    return 0;
  if (c->out_off)
    {
      memmove (c->out, c->out + c->out_off, c->out_len - c->out_off);
      c->out_len -= c->out_off;
      c->out_off = 0;
    }
  if (c->out_len + need > c->out_cap)
    {
      size_t cap = c->out_cap ? c->out_cap * 2 : 4096;
      uint8_t *p;
      while (cap < c->out_len + need)
        cap *= 2;
      p = realloc (c->out, cap);
      if (p == NULL)
        return -1;
      c->out = p;
      c->out_cap = cap;
    }
  return 0;
}

static void
send_response (struct conn *c, uint32_t stream, Ttrpc__Response *resp)
{
  size_t len = ttrpc__response__get_packed_size (resp);
  if (conn_reserve (c, TTRPC_HEADER_LEN + len) < 0)
    {
      conn_close (c);
      return;
    }
  ttrpc_put_header (c->out + c->out_len, (uint32_t)len, stream, TTRPC_TYPE_RESPONSE, 0);
  ttrpc__response__pack (resp, c->out + c->out_len + TTRPC_HEADER_LEN);
  c->out_len += TTRPC_HEADER_LEN + len;
  if (conn_flush (c) < 0)
    conn_close (c);
}

static void
reply_status (struct conn *c, uint32_t stream, int code, const char *msg)
{
  Ttrpc__RpcStatus st = TTRPC__RPC_STATUS__INIT;
  Ttrpc__Response resp = TTRPC__RESPONSE__INIT;
  st.code = code;
  st.message = (char *)msg;
  resp.status = &st;
  send_response (c, stream, &resp);
}

void
ttrpc_reply_error (uint64_t conn, uint32_t stream, int code, const char *fmt, ...)
{
  struct conn *c = find_conn (conn);
  char msg[512];
  va_list ap;
  if (c == NULL)
    return;
  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  shim_debug ("ttrpc: stream %u error %d: %s", stream, code, msg);
  reply_status (c, stream, code, msg);
}

void
ttrpc_reply (uint64_t conn, uint32_t stream, const ProtobufCMessage *msg)
{
  struct conn *c = find_conn (conn);
  Ttrpc__RpcStatus st = TTRPC__RPC_STATUS__INIT;
  Ttrpc__Response resp = TTRPC__RESPONSE__INIT;
  uint8_t *payload = NULL;
  size_t len = 0;
  if (c == NULL)
    return;
  if (msg)
    {
      len = protobuf_c_message_get_packed_size (msg);
      if (len + 64 > TTRPC_MAX_MESSAGE)
        {
          reply_status (c, stream, RPC_RESOURCE_EXHAUSTED, "response exceeds maximum message size");
          return;
        }
      payload = malloc (len ? len : 1);
      if (payload == NULL)
        {
          reply_status (c, stream, RPC_RESOURCE_EXHAUSTED, "out of memory");
          return;
        }
      protobuf_c_message_pack (msg, payload);
    }
  resp.status = &st;
  resp.payload.data = payload;
  resp.payload.len = len;
  send_response (c, stream, &resp);
  free (payload);
}

static void
dispatch (struct conn *c, const uint8_t *data, size_t len)
{
  uint32_t stream = c->stream;
  uint64_t id = c->id;
  struct ttrpc_call call = { .conn = id, .stream = stream, .ns = "" };
  Ttrpc__Request *req;

  if (stream % 2 != 1)
    {
      reply_status (c, stream, RPC_INVALID_ARGUMENT, "stream id must be odd for client initiated streams");
      return;
    }
  req = ttrpc__request__unpack (NULL, len, data);
  if (req == NULL)
    {
      reply_status (c, stream, RPC_INVALID_ARGUMENT, "malformed request");
      return;
    }
  for (size_t i = 0; i < req->n_metadata; i++)
    if (strcmp (req->metadata[i]->key, "containerd-namespace-ttrpc") == 0)
      call.ns = req->metadata[i]->value;
  call.payload = req->payload.data;
  call.len = req->payload.len;
  shim_debug ("ttrpc: %s/%s stream %u", req->service, req->method, stream);
  for (const struct ttrpc_method *m = table; m->service; m++)
    if (strcmp (m->service, req->service) == 0 && strcmp (m->method, req->method) == 0)
      {
        m->fn (&call);
        ttrpc__request__free_unpacked (req, NULL);
        return;
      }
  ttrpc_reply_error (id, stream, RPC_UNIMPLEMENTED, "%s/%s: method not implemented", req->service,
                     req->method);
  ttrpc__request__free_unpacked (req, NULL);
}

/* The frame is complete: oversize ones were discarded while reading and
 * get ResourceExhausted; frames that are not requests are ignored. */
static void
frame_done (struct conn *c)
{
  uint8_t *body = c->body;
  uint32_t len = c->len;
  c->body = NULL;
  c->hdr_got = c->body_got = 0;
  if (len > TTRPC_MAX_MESSAGE)
    {
      if (c->type == TTRPC_TYPE_REQUEST)
        ttrpc_reply_error (c->id, c->stream, RPC_RESOURCE_EXHAUSTED,
                           "message length %u exceed maximum message size of %u", len, TTRPC_MAX_MESSAGE);
    }
  else if (c->type == TTRPC_TYPE_REQUEST)
    dispatch (c, body, len);
  free (body);
}

/* Returns 1 to keep reading, 0 when drained, -1 to close. */
static int
conn_read_some (struct conn *c)
{
  uint8_t scratch[4096];
  ssize_t r;
  if (c->hdr_got < TTRPC_HEADER_LEN)
    {
      uint8_t flags;
      r = recv (c->w.fd, c->hdr + c->hdr_got, TTRPC_HEADER_LEN - c->hdr_got, 0);
      if (r <= 0)
        return r == 0 ? -1 : (errno == EAGAIN || errno == EINTR) ? 0 : -1;
      c->hdr_got += (size_t)r;
      if (c->hdr_got < TTRPC_HEADER_LEN)
        return 1;
      ttrpc_get_header (c->hdr, &c->len, &c->stream, &c->type, &flags);
      c->body_got = 0;
      if (c->len <= TTRPC_MAX_MESSAGE)
        {
          c->body = malloc (c->len ? c->len : 1);
          if (c->body == NULL)
            return -1;
        }
    }
  if (c->body_got < c->len)
    {
      size_t want = c->len - c->body_got;
      uint8_t *dst = c->body ? c->body + c->body_got : scratch;
      if (c->body == NULL && want > sizeof scratch)
        want = sizeof scratch;
      r = recv (c->w.fd, dst, want, 0);
      if (r <= 0)
        return r == 0 ? -1 : (errno == EAGAIN || errno == EINTR) ? 0 : -1;
      c->body_got += (size_t)r;
      if (c->body_got < c->len)
        return 1;
    }
  frame_done (c);
  return 1;
}

static void
conn_event (struct shim_watch *w, uint32_t events)
{
  struct conn *c = (struct conn *)w;
  uint64_t id = c->id;
  if (events & EPOLLOUT)
    {
      if (conn_flush (c) < 0)
        {
          conn_close (c);
          return;
        }
    }
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
    {
      int r;
      /* A handler may close this connection (failed send), so check it
       * still exists after each frame. */
      do
        r = conn_read_some (c);
      while (r > 0 && find_conn (id) == c && c->out_len - c->out_off < OUT_HIGH);
      if (r < 0 && find_conn (id) == c)
        {
          shim_debug ("ttrpc: connection %lu closed", (unsigned long)id);
          conn_close (c);
        }
    }
}

static void
listener_event (struct shim_watch *w, uint32_t events)
{
  int fd = accept4 (w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  struct conn *c;
  if (fd < 0)
    return;
  c = calloc (1, sizeof *c);
  if (c == NULL)
    {
      close (fd);
      return;
    }
  c->w.fd = fd;
  c->w.cb = conn_event;
  c->id = next_id++;
  c->events = EPOLLIN;
  if (shim_loop_add (&c->w, EPOLLIN) < 0)
    {
      close (fd);
      free (c);
      return;
    }
  c->next = conns;
  conns = c;
}

int
ttrpc_server_start (int listen_fd, const struct ttrpc_method *methods)
{
  table = methods;
  listener.fd = listen_fd;
  listener.cb = listener_event;
  return shim_loop_add (&listener, EPOLLIN);
}
