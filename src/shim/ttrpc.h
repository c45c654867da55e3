/* ttrpc server (github.com/containerd/ttrpc wire protocol): frames of a
 * 10-byte big-endian header (length, stream id, type, flags) followed by
 * a protobuf Request or Response. Replies may go out in any order, so a
 * handler can keep a call pending (Wait) and answer it later. */
#ifndef HUSK_SHIM_TTRPC_H
#define HUSK_SHIM_TTRPC_H

#include <stddef.h>
#include <stdint.h>
#include <protobuf-c/protobuf-c.h>

#define TTRPC_HEADER_LEN 10
#define TTRPC_MAX_MESSAGE (4u << 20)
#define TTRPC_TYPE_REQUEST 1
#define TTRPC_TYPE_RESPONSE 2

/* google.rpc.Code values ttrpc uses. */
enum
{
  RPC_OK = 0,
  RPC_UNKNOWN = 2,
  RPC_INVALID_ARGUMENT = 3,
  RPC_NOT_FOUND = 5,
  RPC_ALREADY_EXISTS = 6,
  RPC_RESOURCE_EXHAUSTED = 8,
  RPC_FAILED_PRECONDITION = 9,
  RPC_UNIMPLEMENTED = 12,
  RPC_INTERNAL = 13,
  RPC_UNAVAILABLE = 14,
};

/* Where to send the answer: conn ids are never reused, so a reply to a
 * connection that has gone away is dropped instead of misdelivered. */
struct ttrpc_call
{
  uint64_t conn;
  uint32_t stream;
  const char *ns; /* containerd-namespace-ttrpc metadata, or "" */
  const uint8_t *payload;
  size_t len;
};

typedef void (*ttrpc_handler) (const struct ttrpc_call *call);

struct ttrpc_method
{
  const char *service;
  const char *method;
  ttrpc_handler fn;
};

/* Serve on listening socket fd with the given NULL-terminated method
 * table. */
int ttrpc_server_start (int listen_fd, const struct ttrpc_method *methods);
/* Answer with a message (NULL: empty payload). */
void ttrpc_reply (uint64_t conn, uint32_t stream, const ProtobufCMessage *msg);
void ttrpc_reply_error (uint64_t conn, uint32_t stream, int code, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));
/* Called with the id of each connection that closes. */
void ttrpc_on_close (void (*fn) (uint64_t conn));
/* Number of open client connections. */
int ttrpc_server_connections (void);

/* Frame helpers shared with the events client. */
#include "shim/parse.h"

#endif
