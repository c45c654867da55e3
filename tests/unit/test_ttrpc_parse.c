/* The shim's self-contained parsers: ttrpc frame headers and the JSON
 * the runtime prints (log lines, `ps --format json`). parse.c has no
 * dependency beyond libc, so it is built into this test directly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shim/parse.c"

static void
header_is_big_endian (void **state)
{
  uint8_t h[10];
  uint32_t len, stream;
  uint8_t type, flags;
  ttrpc_put_header (h, 0x01020304, 0x0a0b0c0d, 2, 0x80);
  const uint8_t want[10] = { 1, 2, 3, 4, 0x0a, 0x0b, 0x0c, 0x0d, 2, 0x80 };
  assert_memory_equal (h, want, 10);
  ttrpc_get_header (h, &len, &stream, &type, &flags);
  assert_int_equal (len, 0x01020304);
  assert_int_equal (stream, 0x0a0b0c0d);
  assert_int_equal (type, 2);
  assert_int_equal (flags, 0x80);
  /* lengths above 2^31 survive (they must be refused, not go negative) */
  ttrpc_put_header (h, 0xfffffff0u, 1, 1, 0);
  ttrpc_get_header (h, &len, &stream, &type, &flags);
  assert_int_equal (len, 0xfffffff0u);
}

static void
json_line_strings (void **state)
{
  const char *line
      = "{\"level\":\"error\",\"msg\":\"open \\\"config.json\\\": no such file\\n\\u00e9\\u0041\","
        "\"time\":\"2024-01-01T00:00:00Z\"}";
  char *msg = shim_json_line_string (line, "msg");
  char *level = shim_json_line_string (line, "level");
  assert_string_equal (msg, "open \"config.json\": no such file\n\xc3\xa9"
                            "A");
  assert_string_equal (level, "error");
  assert_null (shim_json_line_string (line, "nope"));
  /* a non-string value is not returned as one */
  assert_null (shim_json_line_string ("{\"msg\":12}", "msg"));
  free (msg);
  free (level);
  msg = shim_json_line_string ("{\"msg\": \"spaced\"}", "msg");
  assert_string_equal (msg, "spaced");
  free (msg);
}

static void
pid_arrays (void **state)
{
  pid_t *pids = NULL;
  assert_int_equal (shim_parse_pid_array ("[12,345, 6789]\n", &pids), 3);
  assert_int_equal (pids[0], 12);
  assert_int_equal (pids[1], 345);
  assert_int_equal (pids[2], 6789);
  free (pids);
  pids = NULL;
  assert_int_equal (shim_parse_pid_array (" [ ]", &pids), 0);
  free (pids);
  char big[4096] = "[";
  for (int i = 1; i <= 100; i++)
    snprintf (big + strlen (big), sizeof big - strlen (big), "%s%d", i > 1 ? "," : "", i);
  strcat (big, "]");
  pids = NULL;
  assert_int_equal (shim_parse_pid_array (big, &pids), 100);
  assert_int_equal (pids[99], 100);
  free (pids);
  assert_int_equal (shim_parse_pid_array ("null", &pids), -1);
  assert_int_equal (shim_parse_pid_array ("[1,\"x\"]", &pids), -1);
  assert_int_equal (shim_parse_pid_array ("[-3]", &pids), -1);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (header_is_big_endian),
    cmocka_unit_test (json_line_strings),
    cmocka_unit_test (pid_arrays),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
