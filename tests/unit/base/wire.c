#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/wire.h"
#include "base/util.h"

TestSuite(wire, .timeout = 10);

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

Test(wire, json_round_trip, .init = setup, .fini = teardown)
{
	json_t *msg = json_pack("{s:s, s:i, s:[i,i]}", "op", "hello", "pid", 42, "xs", 1, 2);
	cr_assert_eq(wire_send(sv[0], msg), 0);
	json_t *got = NULL;
	cr_assert_eq(wire_recv(sv[1], &got, 1024, now_seconds() + 5), 0);
	cr_expect(json_equal(msg, got));
	json_decref(msg);
	json_decref(got);
}

Test(wire, frames_over_the_limit_are_refused_unread, .init = setup, .fini = teardown)
{
	char big[4096];
	memset(big, 'x', sizeof(big));
	cr_assert_eq(wire_send_raw(sv[0], big, sizeof(big)), 0);
	char *out = NULL;
	cr_expect_eq(wire_recv_raw(sv[1], &out, NULL, 100, now_seconds() + 5), WIRE_TOOBIG);
	cr_expect_null(out);
}

Test(wire, a_silent_peer_times_out, .init = setup, .fini = teardown)
{
	json_t *got = NULL;
	double t0 = now_seconds();
	cr_expect_eq(wire_recv(sv[1], &got, 1024, t0 + 0.05), WIRE_TIMEOUT);
	cr_expect_null(got);
}

Test(wire, a_closed_peer_is_eof_even_mid_frame, .init = setup, .fini = teardown)
{
	/* A length that promises 100 bytes, then 3 bytes, then nothing. */
	const unsigned char partial[] = { 0, 0, 0, 100, 'a', 'b', 'c' };
	cr_assert_eq(write_all(sv[0], partial, sizeof(partial)), 0);
	close(sv[0]);
	sv[0] = -1;
	char *out = NULL;
	cr_expect_eq(wire_recv_raw(sv[1], &out, NULL, 1024, now_seconds() + 5), WIRE_EOF);
}

Test(wire, non_objects_are_bad_json, .init = setup, .fini = teardown)
{
	cr_assert_eq(wire_send_raw(sv[0], "[1,2]", 5), 0);
	cr_assert_eq(wire_send_raw(sv[0], "{nope", 5), 0);
	json_t *got = NULL;
	cr_expect_eq(wire_recv(sv[1], &got, 1024, now_seconds() + 5), WIRE_BADJSON);
	cr_expect_eq(wire_recv(sv[1], &got, 1024, now_seconds() + 5), WIRE_BADJSON);
}

/* ---- the pure decoders ---------------------------------------------------- */

static const unsigned char N[WIRE_NONCE_LEN] = "0123456789abcdef";

Test(wire, plain_frames_decode_piece_by_piece)
{
	size_t total = 0, need = 0;
	unsigned char *f = wire_frame_encode(WIRE_PLAIN, NULL, "hello", 5, &total);
	cr_assert_eq(total, 9);
	cr_expect_eq(wire_get_be32(f), 5);
	for (size_t len = 0; len < total; len++) {
		cr_expect_eq(wire_frame_parse(WIRE_PLAIN, f, len, 100, NULL, NULL, NULL, &need), WIRE_INCOMPLETE);
		cr_expect_eq(need, len < 4 ? 4 : 9, "need %zu at %zu", need, len);
	}
	struct wire_span p;
	cr_expect_eq(wire_frame_parse(WIRE_PLAIN, f, total, 100, NULL, NULL, &p, NULL), 9);
	cr_expect_eq(p.offset, 4);
	cr_expect_eq(p.len, 5);
	cr_expect_eq(wire_frame_parse(WIRE_PLAIN, f, total, 4, NULL, NULL, &p, NULL), WIRE_TOOBIG);
	free(f);
}

Test(wire, the_length_is_big_endian)
{
	unsigned char b[4];
	wire_put_be32(b, 0x01020304u);
	cr_expect_eq(b[0], 1);
	cr_expect_eq(b[3], 4);
	cr_expect_eq(wire_get_be32(b), 0x01020304u);
}

Test(wire, a_request_gives_its_nonce)
{
	size_t total = 0;
	unsigned char *f = wire_frame_encode(WIRE_REQUEST, N, "{}", 2, &total);
	unsigned char got[WIRE_NONCE_LEN] = { 0 };
	struct wire_span p;
	cr_assert_eq(total, WIRE_NONCE_LEN + 4 + 2);
	cr_expect_eq(wire_frame_parse(WIRE_REQUEST, f, total, 100, NULL, got, &p, NULL), (long)total);
	cr_expect_arr_eq(got, N, sizeof(N));
	cr_expect_eq(p.offset, WIRE_NONCE_LEN + 4);
	free(f);
}

Test(wire, a_result_is_whole_incomplete_or_forged)
{
	const char *obs = "{\"import\":{\"ok\":true}}";
	size_t total = 0;
	unsigned char *f = wire_frame_encode(WIRE_RESULT, N, obs, strlen(obs), &total);
	json_t *got = NULL;
	for (size_t len = 0; len < total; len++)
		cr_expect_eq(wire_result_parse(f, len, N, &got), WIRE_INCOMPLETE, "at %zu", len);
	cr_expect_null(got);
	cr_assert_eq(wire_result_parse(f, total, N, &got), 1);
	cr_expect(json_is_true(json_object_get(json_object_get(got, WIRE_KEY_IMPORT), WIRE_KEY_OK)));
	json_decref(got);

	/* Another nonce: refused from the first byte on. */
	unsigned char other[WIRE_NONCE_LEN];
	memcpy(other, N, sizeof(other));
	other[0] ^= 1;
	cr_expect_eq(wire_result_parse(f, 1, other, &got), WIRE_FORGED);
	/* The closing nonce wrong, bytes after the frame, a length over the limit. */
	f[total - 1] ^= 1;
	cr_expect_eq(wire_result_parse(f, total, N, &got), WIRE_FORGED);
	f[total - 1] ^= 1;
	unsigned char *longer = malloc(total + 1);
	memcpy(longer, f, total);
	longer[total] = 'x';
	cr_expect_eq(wire_result_parse(longer, total + 1, N, &got), WIRE_FORGED);
	wire_put_be32(longer + WIRE_NONCE_LEN, WIRE_OBSERVATION_MAX + 1);
	cr_expect_eq(wire_result_parse(longer, WIRE_NONCE_LEN + 4, N, &got), WIRE_FORGED);
	cr_expect_null(got);
	free(longer);
	free(f);
}

Test(wire, a_result_that_is_no_object_is_forged)
{
	size_t total = 0;
	unsigned char *f = wire_frame_encode(WIRE_RESULT, N, "[1]", 3, &total);
	json_t *got = NULL;
	cr_expect_eq(wire_result_parse(f, total, N, &got), WIRE_FORGED);
	cr_expect_null(got);
	free(f);
}

Test(wire, requests_are_checks_switches_or_malformed)
{
	struct wire_request r;
	const char *check = "{\"kind\":\"call\",\"spec\":{\"function\":\"m.f\"}}";
	cr_expect_eq(wire_request_parse(check, strlen(check), &r), 0);
	cr_expect_str_eq(r.kind, "call");
	cr_expect(json_is_object(r.spec));
	wire_request_release(&r);
	const char *sw = "{\"switch\":[{\"name\":\"m\",\"file\":\"m.py\",\"source\":3}]}";
	cr_expect_eq(wire_request_parse(sw, strlen(sw), &r), 1);
	struct wire_switch_entry e;
	cr_expect_eq(wire_switch_entry_parse(json_array_get(r.exercises, 0), &e), 0);
	cr_expect_str_eq(e.name, "m");
	cr_expect_eq(e.source_len, 3);
	wire_request_release(&r);
	cr_expect_eq(wire_request_parse("{nope", 5, &r), WIRE_BADJSON);
	cr_expect_null(r.root);
	/* A check without a kind is still a check (answered as malformed). */
	cr_expect_eq(wire_request_parse("[]", 2, &r), 0);
	cr_expect_null(r.kind);
	wire_request_release(&r);
}

Test(wire, switch_entries_no_supervisor_writes_are_forged)
{
	struct wire_switch_entry e;
	json_t *bad[] = {
		json_pack("{s:s}", "name", "m"),
		json_pack("{s:s, s:s, s:i}", "name", "m", "file", "m.py", "source", -1),
		json_pack("{s:s, s:s, s:I}", "name", "m", "file", "m.py", "source", (json_int_t)WIRE_SOURCE_MAX + 1),
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_eq(wire_switch_entry_parse(bad[i], &e), WIRE_FORGED, "entry %zu", i);
		json_decref(bad[i]);
	}
	json_t *err = json_pack("{s:s, s:s, s:{s:s}}", "name", "m", "file", "m.py", "error", "type", "FileNotFoundError");
	cr_expect_eq(wire_switch_entry_parse(err, &e), 0);
	cr_expect_not_null(e.error);
	cr_expect_eq(e.source_len, 0);
	json_decref(err);
}

Test(wire, lane_reports_round_trip_and_refuse_bad_lengths)
{
	size_t len = 0;
	unsigned char *m = wire_lane_encode(7, 8, "report", NULL, &len);
	struct wire_lane_report r;
	cr_assert_eq(wire_lane_parse(m, len, &r), 0);
	cr_expect_eq(r.index, 7);
	cr_expect_eq(r.flags, 8 | WIRE_LANE_TEXT);
	cr_expect_eq(r.text_len, 6);
	cr_expect(!memcmp(r.text, "report", 6));
	cr_expect_null(r.error);
	cr_expect_eq(wire_lane_parse(m, len - 1, &r), WIRE_FORGED);
	cr_expect_eq(wire_lane_parse(m, WIRE_LANE_HEAD - 1, &r), WIRE_FORGED);
	wire_put_be32(m + 8, 0xffffffffu);
	cr_expect_eq(wire_lane_parse(m, len, &r), WIRE_FORGED);
	free(m);
}

Test(wire, harness_errors_are_read_in_one_place)
{
	json_t *obs = json_pack("{s:s}", WIRE_KEY_HARNESS_ERROR, "boom");
	cr_expect_str_eq(wire_harness_error(obs), "boom");
	cr_expect_null(wire_harness_error(NULL));
	json_decref(obs);
}
