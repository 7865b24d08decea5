/* fuzz_cap_midstream.c - the passive MySQL decoder of a connection whose
 * capture starts mid-session (no SYN): getting in step at a greeting, a
 * login or a command, skipping what precedes it, and the compressed
 * protocol when a login in the input turns it on. fuzz_cap_flow.c's
 * target and properties, without the handshake before the segments.
 */
#define FUZZ_CAP_MIDSTREAM 1
#include "fuzz_cap_flow.c"
