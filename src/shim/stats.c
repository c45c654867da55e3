/* Stats: cgroup metrics for `ctr task metrics`. */
#include "shim/task.h"

#include "shim/shim.h"

void
task_stats (const struct ttrpc_call *call)
{
  ttrpc_reply_error (call->conn, call->stream, RPC_UNIMPLEMENTED, "stats are not implemented yet");
}
