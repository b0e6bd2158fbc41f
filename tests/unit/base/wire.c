#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/wire.h"
#include "base/util.h"

TestSuite(proto, .timeout = 10);

static int sv[2];

static void setup(void)
{
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
}

static void teardown(void)
{
	close(sv[0]);
	close(sv[1]);
}

Test(proto, json_round_trip, .init = setup, .fini = teardown)
{
	json_t *msg = json_pack("{s:s, s:i, s:[i,i]}", "op", "hello", "pid", 42, "xs", 1, 2);
	cr_assert_eq(proto_send(sv[0], msg), 0);
	json_t *got = NULL;
	cr_assert_eq(proto_recv(sv[1], &got, 1024, now_seconds() + 5), 0);
	cr_expect(json_equal(msg, got));
	json_decref(msg);
	json_decref(got);
}

Test(proto, frames_over_the_limit_are_refused_unread, .init = setup, .fini = teardown)
{
	char big[4096];
	memset(big, 'x', sizeof(big));
	cr_assert_eq(proto_send_raw(sv[0], big, sizeof(big)), 0);
	char *out = NULL;
	cr_expect_eq(proto_recv_raw(sv[1], &out, NULL, 100, now_seconds() + 5), PROTO_TOOBIG);
	cr_expect_null(out);
}

Test(proto, a_silent_peer_times_out, .init = setup, .fini = teardown)
{
	json_t *got = NULL;
	double t0 = now_seconds();
	cr_expect_eq(proto_recv(sv[1], &got, 1024, t0 + 0.05), PROTO_TIMEOUT);
	cr_expect_null(got);
}

Test(proto, a_closed_peer_is_eof_even_mid_frame, .init = setup, .fini = teardown)
{
	/* A length that promises 100 bytes, then 3 bytes, then nothing. */
	const unsigned char partial[] = { 0, 0, 0, 100, 'a', 'b', 'c' };
	cr_assert_eq(write_all(sv[0], partial, sizeof(partial)), 0);
	close(sv[0]);
	sv[0] = -1;
	char *out = NULL;
	cr_expect_eq(proto_recv_raw(sv[1], &out, NULL, 1024, now_seconds() + 5), PROTO_EOF);
}

Test(proto, non_objects_are_bad_json, .init = setup, .fini = teardown)
{
	cr_assert_eq(proto_send_raw(sv[0], "[1,2]", 5), 0);
	cr_assert_eq(proto_send_raw(sv[0], "{nope", 5), 0);
	json_t *got = NULL;
	cr_expect_eq(proto_recv(sv[1], &got, 1024, now_seconds() + 5), PROTO_BADJSON);
	cr_expect_eq(proto_recv(sv[1], &got, 1024, now_seconds() + 5), PROTO_BADJSON);
}
