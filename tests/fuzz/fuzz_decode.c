/* libFuzzer target for the packet decoder (core/decode.c), built by tests/fuzz/run.sh
 * with ASan and UBSan. libFuzzer hands over each input in a heap block of exactly its
 * size, so any read past caplen is reported. Beyond not crashing, the decoder must keep
 * its output contract: a NUL-terminated line whose length it returns, and a tiny buffer
 * that gets a prefix of what a large one gets. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/decode.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char big[4096], tiny[7];
  size_t n, t;

  n = loom_decode_summary (data, size, size, big, sizeof (big));
  t = loom_decode_summary (data, size, size, tiny, sizeof (tiny));
  if (n >= sizeof (big) || n != strlen (big) || t != strlen (tiny) || memcmp (tiny, big, t) != 0)
    abort ();
  /* As a capture with a small snaplen stores it: the wire length exceeds caplen. */
  n = loom_decode_summary (data, size, size + 1500, big, sizeof (big));
  if (n != strlen (big))
    abort ();
  return 0;
}
