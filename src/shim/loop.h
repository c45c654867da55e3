/* One epoll loop for the whole shim: ttrpc connections, signals,
 * console pumps and the events client all register a watch here.
 * No threads, so every handler runs to completion. */
#ifndef HUSK_SHIM_LOOP_H
#define HUSK_SHIM_LOOP_H

#include <stdint.h>

struct shim_watch;
typedef void (*shim_watch_cb) (struct shim_watch *w, uint32_t events);

struct shim_watch
{
  int fd;
  shim_watch_cb cb;
};

int shim_loop_init (void);
int shim_loop_add (struct shim_watch *w, uint32_t events);
int shim_loop_mod (struct shim_watch *w, uint32_t events);
void shim_loop_del (struct shim_watch *w);
/* Runs until shim_loop_quit(); returns 0, or -1 on an epoll failure. */
int shim_loop_run (void);
void shim_loop_quit (void);
/* Dispatch at most one event, waiting up to timeout_ms. */
int shim_loop_once (int timeout_ms);

#endif
