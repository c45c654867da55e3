/* Unit tests for husk_id_validate: the rule runc applies to container ids
 * (non-empty, [A-Za-z0-9_+.-] only, never "." or "..", so an id is always
 * one plain directory name under --root). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "container/container.h"

static void
assert_valid (const char *id)
{
  husk_error_t err = NULL;
  int r = husk_id_validate (id, &err);
  if (r < 0)
    fail_msg ("id `%s` rejected: %s", id, err && err->msg ? err->msg : "(no message)");
  assert_null (err);
}

static void
assert_invalid (const char *id)
{
  husk_error_t err = NULL;
  int r = husk_id_validate (id, &err);
  if (r >= 0)
    fail_msg ("id `%s` accepted", id);
  assert_non_null (err);
  assert_non_null (err->msg);
  /* The message must say what is wrong: it names the id (or says it is empty). */
  if (*id && strchr (id, '\n') == NULL)
    assert_non_null (strstr (err->msg, id));
  else
    assert_true (strlen (err->msg) > 0);
  husk_error_free (&err);
  assert_null (err);
}

static void
test_plain_ids (void **state)
{
  (void)state;
  assert_valid ("a");
  assert_valid ("abc");
  assert_valid ("ABC123");
  assert_valid ("0");
  assert_valid ("t-0123456789");
}

static void
test_punctuation_allowed (void **state)
{
  (void)state;
  assert_valid ("a.b");
  assert_valid ("a_b");
  assert_valid ("a+b");
  assert_valid ("a-b");
  assert_valid ("..."); /* not "." nor "..": a plain name */
  assert_valid ("..a");
  assert_valid (".hidden");
  assert_valid ("a..b");
}

static void
test_long_id (void **state)
{
  (void)state;
  char id[201];
  memset (id, 'x', sizeof id - 1);
  id[sizeof id - 1] = '\0';
  assert_valid (id);
  /* containerd ids are 64 hex chars */
  assert_valid ("8f14e45fceea167a5a36dedd4bea2543e0d7c5a3a0a2b1f0e9d8c7b6a5f4e3d2");
}

static void
test_empty_and_dots (void **state)
{
  (void)state;
  assert_invalid ("");
  assert_invalid (".");
  assert_invalid ("..");
}

static void
test_slashes (void **state)
{
  (void)state;
  assert_invalid ("/");
  assert_invalid ("a/b");
  assert_invalid ("../a");
  assert_invalid ("a/..");
  assert_invalid ("/etc");
  assert_invalid ("a/");
}

static void
test_other_characters (void **state)
{
  (void)state;
  assert_invalid ("a b");
  assert_invalid (" a");
  assert_invalid ("a\tb");
  assert_invalid ("a\nb");
  assert_invalid ("a:b");
  assert_invalid ("a*b");
  assert_invalid ("a\\b");
  assert_invalid ("a@b");
  assert_invalid ("caf\xc3\xa9"); /* non-ASCII */
  assert_invalid ("\x01");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_plain_ids), cmocka_unit_test (test_punctuation_allowed),
    cmocka_unit_test (test_long_id),   cmocka_unit_test (test_empty_and_dots),
    cmocka_unit_test (test_slashes),   cmocka_unit_test (test_other_characters),
  };
  return cmocka_run_group_tests_name ("id", tests, NULL, NULL);
}
