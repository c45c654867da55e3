/* Events for containerd, forwarded over ttrpc to TTRPC_ADDRESS
 * (containerd.services.events.ttrpc.v1.Events/Forward). Queued in
 * order and retried until containerd accepts them: an event is never
 * dropped while the shim lives, even while containerd is down. */
#ifndef HUSK_SHIM_EVENTS_H
#define HUSK_SHIM_EVENTS_H

#include <protobuf-c/protobuf-c.h>

#define TOPIC_TASK_CREATE "/tasks/create"
#define TOPIC_TASK_START "/tasks/start"
#define TOPIC_TASK_EXIT "/tasks/exit"
#define TOPIC_TASK_DELETE "/tasks/delete"
#define TOPIC_TASK_EXEC_ADDED "/tasks/exec-added"
#define TOPIC_TASK_EXEC_STARTED "/tasks/exec-started"
#define TOPIC_TASK_OOM "/tasks/oom"
#define TOPIC_TASK_PAUSED "/tasks/paused"
#define TOPIC_TASK_RESUMED "/tasks/resumed"

int events_init (const char *ttrpc_address, const char *ns);
/* type_url is the event's message name, e.g. "containerd.events.TaskExit". */
void events_publish (const char *topic, const char *type_url, const ProtobufCMessage *ev);
/* Events not yet accepted by containerd. */
int events_pending (void);

#endif
