/* linux.seccomp: the profile is compiled with libseccomp and exported as
   BPF in husk_seccomp_prepare (before `start`, so a bad profile fails
   `create` with the JSON path of the bad field).  husk_seccomp_load is
   then one seccomp(2) call with the flags the profile asks for (libseccomp
   2.5 knows no WAIT_KILLABLE_RECV attribute; the raw call has every flag)
   and nothing husk needs afterwards is filtered.  */

#include "linux/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include "linux/seccomp.h"
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "linux/caps.h"
#include "linux/lsm.h"
#include "linux/seccomp_parse.h"
#include "util/fs.h"
#include "util/log.h"

void
husk_seccomp_free (struct husk_seccomp *s)
{
  if (s == NULL)
    return;
  if (s->ctx)
    seccomp_release (s->ctx);
  free (s->prog.filter);
  free (s->listener_path);
  free (s->listener_metadata);
  if (s->listener_fd >= 0)
    close (s->listener_fd);
  free (s);
}

/* libseccomp 2.5 exports BPF only to an fd.  */
static int
export_bpf (struct husk_seccomp *s, husk_error_t *err)
{
  cleanup_close int fd = memfd_create ("husk-seccomp-bpf", MFD_CLOEXEC);
  struct stat st;
  int r;

  if (fd < 0)
    return husk_error (err, errno, "memfd_create");
  r = seccomp_export_bpf (s->ctx, fd);
  if (r < 0)
    return husk_error (err, -r, "linux.seccomp: export the filter");
  if (fstat (fd, &st) < 0)
    return husk_error (err, errno, "linux.seccomp: stat the filter");
  if (st.st_size == 0 || st.st_size % (off_t)sizeof (struct sock_filter) != 0
      || st.st_size / (off_t)sizeof (struct sock_filter) > BPF_MAXINSNS)
    return husk_error (err, E2BIG, "linux.seccomp: the filter has %lld bytes of BPF", (long long)st.st_size);
  s->prog.filter = malloc ((size_t)st.st_size);
  if (s->prog.filter == NULL)
    return husk_error (err, ENOMEM, "linux.seccomp");
  if (pread (fd, s->prog.filter, (size_t)st.st_size, 0) != st.st_size)
    return husk_error (err, errno ? errno : EIO, "linux.seccomp: read the filter");
  s->prog.len = (unsigned short)(st.st_size / (off_t)sizeof (struct sock_filter));
  return 0;
}

/* Connected now, while husk still sees the host's filesystem: the filter
   is loaded in the init after pivot_root, where listenerPath does not
   resolve any more.  */
static int
connect_listener (struct husk_seccomp *s, husk_error_t *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  cleanup_close int fd = -1;

  if (strlen (s->listener_path) >= sizeof addr.sun_path)
    return husk_error (err, ENAMETOOLONG, "linux.seccomp.listenerPath: `%s`", s->listener_path);
  strcpy (addr.sun_path, s->listener_path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return husk_error (err, errno, "socket");
  if (connect (fd, (struct sockaddr *)&addr, sizeof addr) < 0)
    return husk_error (err, errno, "linux.seccomp.listenerPath: connect to `%s`", s->listener_path);
  s->listener_fd = steal_fd (fd);
  return 0;
}

int
husk_seccomp_prepare (json_object *spec, struct husk_seccomp **out, husk_error_t *err)
{
  struct husk_seccomp *s;

  *out = NULL;
  if (spec == NULL || json_object_get_type (spec) == json_type_null)
    return 0;
  s = calloc (1, sizeof *s);
  if (s == NULL)
    return husk_error (err, ENOMEM, "linux.seccomp");
  s->listener_fd = -1;
  if (husk_seccomp_parse (spec, s, err) < 0 || export_bpf (s, err) < 0
      || (s->notify && connect_listener (s, err) < 0))
    {
      husk_seccomp_free (s);
      return -1;
    }
  /* The BPF is all load needs; the libseccomp context is not kept.  */
  seccomp_release (s->ctx);
  s->ctx = NULL;
  *out = s;
  return 0;
}

/* The containerProcessState the OCI spec defines for the listener.  */
static char *
notify_message (struct husk_seccomp *s, const char *state_json)
{
  json_object *msg = json_object_new_object ();
  json_object *fds = json_object_new_array ();
  json_object *state = state_json ? json_tokener_parse (state_json) : NULL;
  json_object *v;
  int64_t pid = getpid ();
  const char *version = "1.0.2";
  char *text;

  if (state == NULL)
    state = json_object_new_object ();
  if (json_object_object_get_ex (state, "pid", &v))
    pid = json_object_get_int64 (v);
  if (json_object_object_get_ex (state, "ociVersion", &v) && json_object_get_string (v))
    version = json_object_get_string (v);
  json_object_object_add (msg, "ociVersion", json_object_new_string (version));
  json_object_array_add (fds, json_object_new_string ("seccompFd"));
  json_object_object_add (msg, "fds", fds);
  json_object_object_add (msg, "pid", json_object_new_int64 (pid));
  json_object_object_add (msg, "metadata",
                          json_object_new_string (s->listener_metadata ? s->listener_metadata : ""));
  json_object_object_add (msg, "state", state);
  text = strdup (json_object_to_json_string_ext (msg, JSON_C_TO_STRING_PLAIN));
  json_object_put (msg);
  return text;
}

static int
send_notify_fd (int sock, int fd, const char *msg)
{
  char cbuf[CMSG_SPACE (sizeof (int))];
  struct iovec iov = { .iov_base = (void *)msg, .iov_len = strlen (msg) };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
  struct cmsghdr *c;
  ssize_t r;

  memset (cbuf, 0, sizeof cbuf);
  c = CMSG_FIRSTHDR (&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &fd, sizeof fd);
  do
    r = sendmsg (sock, &mh, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return -1;
  /* The fd went with the first byte; a stream socket may take the rest in
     more writes.  */
  if ((size_t)r < iov.iov_len && husk_write_all (sock, msg + r, iov.iov_len - (size_t)r) < 0)
    return -1;
  return 0;
}

int
husk_seccomp_load (struct husk_seccomp *s, const char *state_json, husk_error_t *err)
{
  cleanup_free char *msg = NULL;
  unsigned int flags;
  int fd, e;

  if (s == NULL)
    return 0;
  flags = s->flags;
  /* The kernel takes WAIT_KILLABLE_RECV only with a listener; without a
     NOTIFY rule it has nothing to change.  */
  if (!s->notify)
    flags &= ~(unsigned)SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
  /* Everything that allocates happens before the filter is in place.  */
  if (s->notify)
    {
      msg = notify_message (s, state_json);
      if (msg == NULL)
        return husk_error (err, ENOMEM, "seccomp notify message");
      flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
      if (flags & SECCOMP_FILTER_FLAG_TSYNC)
        flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
    }
  fd = (int)syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &s->prog);
  if (fd < 0)
    {
      e = errno;
      if (e == EACCES)
        return husk_error (err, e,
                           "load the seccomp filter (without noNewPrivileges this needs CAP_SYS_ADMIN)");
      return husk_error (err, e, "load the seccomp filter");
    }
  if (!s->notify)
    return 0;
  if (send_notify_fd (s->listener_fd, fd, msg) < 0)
    {
      e = errno;
      close (fd);
      return husk_error (err, e, "send the seccomp notify fd to `%s`", s->listener_path);
    }
  close (fd);
  close (s->listener_fd);
  s->listener_fd = -1;
  return 0;
}

struct load_hook_data
{
  struct husk_seccomp *s;
  const char *state_json;
};

static int
load_hook (void *data, husk_error_t *err)
{
  struct load_hook_data *d = data;
  return husk_seccomp_load (d->s, d->state_json, err);
}

int
husk_process_finalize (const struct husk_process *p, bool in_userns, struct husk_seccomp *s,
                       const char *state_json, husk_error_t *err)
{
  struct load_hook_data d = { s, state_json };

  if (husk_lsm_apply (p, err) < 0)
    return -1;
  if (s == NULL || p->no_new_privileges)
    {
      if (husk_process_set_identity (p, in_userns, err) < 0)
        return -1;
      return husk_seccomp_load (s, state_json, err);
    }
  return husk_process_set_identity_hook (p, in_userns, load_hook, &d, err);
}
