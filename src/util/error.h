/* The error contract (after crun): a function that can fail takes a
 * husk_error_t *err as its last argument, returns a negative value on
 * failure and fills *err with one message. Callers add context with
 * husk_error_prefix() so the user reads one line naming the failing step. */
#ifndef HUSK_ERROR_H
#define HUSK_ERROR_H

#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct husk_error_s
{
  int errno_; /* the errno behind the failure, 0 if none */
  int status; /* exit status the CLI should use (1 unless set) */
  char *msg;  /* the full message, errno text included */
} husk_error_s;
typedef husk_error_s *husk_error_t;

/* Always returns -1 so callers can write `return husk_error(err, ...)`. */
int husk_error (husk_error_t *err, int errno_, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));
/* Same, with a va_list. */
int husk_verror (husk_error_t *err, int errno_, const char *fmt, va_list ap);
/* Prepend "<prefix>: " to an existing error; returns -1. */
int husk_error_prefix (husk_error_t *err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
void husk_error_free (husk_error_t *err);
/* Takes ownership of *src and moves it to *dst (freeing any old *dst). */
void husk_error_move (husk_error_t *dst, husk_error_t *src);

static inline void
cleanup_freep (void *p)
{
  free (*(void **)p);
}
static inline void
cleanup_closep (int *fd)
{
  if (*fd >= 0)
    close (*fd);
}
void cleanup_strvp (char ***strv);
static inline void
cleanup_errorp (husk_error_t *e)
{
  husk_error_free (e);
}

#define cleanup_free __attribute__ ((cleanup (cleanup_freep)))
#define cleanup_close __attribute__ ((cleanup (cleanup_closep)))
#define cleanup_strv __attribute__ ((cleanup (cleanup_strvp)))
#define cleanup_error __attribute__ ((cleanup (cleanup_errorp)))

/* Return -1 from the caller when the call x fails. */
#define TRY(x)                                                                                               \
  do                                                                                                         \
    {                                                                                                        \
      if ((x) < 0)                                                                                           \
        return -1;                                                                                           \
    }                                                                                                        \
  while (0)

/* Move an owned value out of a cleanup variable. */
#define steal_ptr(p)                                                                                         \
  ({                                                                                                         \
    __typeof__ (p) _t = (p);                                                                                 \
    (p) = NULL;                                                                                              \
    _t;                                                                                                      \
  })
#define steal_fd(fd)                                                                                         \
  ({                                                                                                         \
    int _t = (fd);                                                                                           \
    (fd) = -1;                                                                                               \
    _t;                                                                                                      \
  })

#endif
