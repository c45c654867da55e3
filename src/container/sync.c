#include "container/sync.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

static const char *const names[] = {
  [HUSK_SYNC_INIT_PID] = "init-pid",     [HUSK_SYNC_SETUP_DONE] = "setup-done", [HUSK_SYNC_HOOKS] = "hooks",
  [HUSK_SYNC_HOOKS_DONE] = "hooks-done", [HUSK_SYNC_READY] = "ready",           [HUSK_SYNC_ERROR] = "error",
  [HUSK_SYNC_START] = "start",
};

const char *
husk_sync_name (enum husk_sync_type t)
{
  if (t < HUSK_SYNC_INIT_PID || t > HUSK_SYNC_START)
    return "unknown";
  return names[t];
}

int
husk_sync_send (int fd, enum husk_sync_type type, int32_t value, const char *text, husk_error_t *err)
{
  struct husk_sync_msg m;
  size_t len = offsetof (struct husk_sync_msg, text) + 1;
  ssize_t r;
  memset (&m, 0, offsetof (struct husk_sync_msg, text) + 1);
  m.type = type;
  m.value = value;
  if (text)
    {
      size_t tl = strnlen (text, sizeof m.text - 1);
      memcpy (m.text, text, tl);
      m.text[tl] = '\0';
      len = offsetof (struct husk_sync_msg, text) + tl + 1;
    }
  do
    r = send (fd, &m, len, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return husk_error (err, errno, "send `%s` to the init", husk_sync_name (type));
  return 0;
}

int
husk_sync_recv (int fd, struct husk_sync_msg *msg, husk_error_t *err)
{
  ssize_t r;
  memset (msg, 0, offsetof (struct husk_sync_msg, text) + 1);
  do
    r = recv (fd, msg, sizeof *msg, 0);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return husk_error (err, errno, "read from the container init");
  if (r == 0)
    return husk_error (err, 0, "the container init exited before it was ready");
  if ((size_t)r < offsetof (struct husk_sync_msg, text))
    return husk_error (err, 0, "short message from the container init");
  msg->text[sizeof msg->text - 1] = '\0';
  if (msg->type == HUSK_SYNC_ERROR)
    return husk_error (err, 0, "%s", msg->text);
  return 0;
}

int
husk_sync_expect (int fd, enum husk_sync_type want, int32_t *value, husk_error_t *err)
{
  struct husk_sync_msg m;
  if (husk_sync_recv (fd, &m, err) < 0)
    return -1;
  if (m.type != want)
    return husk_error (err, 0, "unexpected message `%s` from the container init (wanted `%s`)",
                       husk_sync_name (m.type), husk_sync_name (want));
  if (value)
    *value = m.value;
  return 0;
}

int
husk_sync_wait_exec (int fd, husk_error_t *err)
{
  struct husk_sync_msg m;
  ssize_t r;
  do
    r = recv (fd, &m, sizeof m, 0);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return husk_error (err, errno, "read from the container init");
  if (r == 0)
    return 0;
  m.text[sizeof m.text - 1] = '\0';
  if ((size_t)r > offsetof (struct husk_sync_msg, text) && m.type == HUSK_SYNC_ERROR)
    return husk_error (err, 0, "%s", m.text);
  return husk_error (err, 0, "unexpected message `%s` from the container init", husk_sync_name (m.type));
}

int
husk_sync_pending_error (int fd, husk_error_t *err)
{
  struct husk_sync_msg m;
  ssize_t r = recv (fd, &m, sizeof m, MSG_DONTWAIT);
  if (r <= (ssize_t)offsetof (struct husk_sync_msg, text) || m.type != HUSK_SYNC_ERROR)
    return 0;
  m.text[sizeof m.text - 1] = '\0';
  return husk_error (err, 0, "%s", m.text);
}
