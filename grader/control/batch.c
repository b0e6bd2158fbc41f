#include "control/batch.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/error.h"
#include "base/wire.h"
#include "base/util.h"

/* A finished report travels from a lane as one frame (base/wire.h,
 * wire_lane_*); the controller asks for one with a frame that holds the
 * submission's index, big-endian. */
#define OUTPUT_MAX_BYTES ((size_t)256 << 20)

/* Beyond WIRE_LANE_TEXT and WIRE_LANE_ERROR. */
enum { FLAG_UNREADABLE = 4, FLAG_INTERNAL = 8, FLAG_FATAL = 16 };

struct lane {
	pid_t pid;     /* 0: no lane in this slot */
	int fd;
	long busy;     /* the submission it is grading, or -1 */
};

unsigned batch_default_jobs(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return (unsigned)CPU_COUNT(&set);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

void batch_output_release(struct batch_output *out)
{
	free(out->text);
	free(out->error);
	*out = (struct batch_output){ 0 };
}

static int send_output(int fd, uint32_t index, unsigned flags, const char *text, const char *error)
{
	size_t len = 0;
	unsigned char *msg = wire_lane_encode(index, flags, text, error, &len);
	int rc = wire_send_raw(fd, msg, len);
	free(msg);
	return rc;
}

/* Parses a lane's frame; returns the index or -1 when it is malformed. */
static long parse_output(const unsigned char *msg, size_t len, size_t n, unsigned *flags, struct batch_output *out)
{
	struct wire_lane_report r;
	if (wire_lane_parse(msg, len, &r) < 0)
		return -1;
	*flags = r.flags;
	if (!(*flags & FLAG_FATAL) && r.index >= n)
		return -1;
	*out = (struct batch_output){
		.text = r.text ? xstrndup(r.text, r.text_len) : NULL,
		.error = r.error ? xstrndup(r.error, r.error_len) : NULL,
		.unreadable = *flags & FLAG_UNREADABLE,
		.internal = *flags & FLAG_INTERNAL,
	};
	return (long)r.index;
}

static void lane_main(int fd, pid_t parent, const struct batch_ops *ops, void *ctx)
{
	/* A lane outlives nothing: its worker follows it (the zygote's own
	 * death signal), and it follows the parent. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	if (ops->stop) {
		/* Interrupts are the parent's to handle (batch.h). */
		setpgid(0, 0);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
	}
	char err[512] = "";
	if (ops->lane_start(ctx, err, sizeof(err)) < 0) {
		send_output(fd, 0, FLAG_FATAL, NULL, err);
		_exit(0);
	}
	for (;;) {
		char *req = NULL;
		size_t len = 0;
		if (wire_recv_raw(fd, &req, &len, 4, 0) < 0 || len != 4) {
			free(req);
			break;
		}
		uint32_t index = wire_get_be32((const unsigned char *)req);
		free(req);
		struct batch_output out = { 0 };
		ops->grade(ctx, (size_t)index, &out);
		unsigned flags = (out.unreadable ? FLAG_UNREADABLE : 0) | (out.internal ? FLAG_INTERNAL : 0);
		int rc = send_output(fd, index, flags, out.text, out.error);
		batch_output_release(&out);
		if (rc < 0)
			break;
	}
	ops->lane_stop(ctx);
	_exit(0);
}

/* Starts a lane in slot 'l' of lanes[0..jobs). */
static int lane_spawn(struct lane *lanes, unsigned jobs, struct lane *l, const struct batch_ops *ops, void *ctx)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	/* Nothing buffered here may be written twice. */
	fflush(stdout);
	fflush(stderr);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		/* The other lanes' channels stay with the parent alone, or a
		 * lane would never see the end of its own. */
		for (unsigned j = 0; j < jobs; j++)
			if (lanes[j].pid && lanes[j].fd >= 0)
				close(lanes[j].fd);
		close(sv[0]);
		lane_main(sv[1], parent, ops, ctx);
	}
	close(sv[1]);
	if (ops->stop)
		setpgid(pid, pid);   /* also here: whichever runs first */
	*l = (struct lane){ .pid = pid, .fd = sv[0], .busy = -1 };
	return 0;
}

/* Closes the lane's channel (it then finishes and exits) and reaps it;
 * returns its wait status. */
static int lane_close(struct lane *l, bool kill_it)
{
	int status = 0;
	if (l->fd >= 0)
		close(l->fd);
	if (kill_it)
		kill(l->pid, SIGKILL);
	while (waitpid(l->pid, &status, 0) < 0 && errno == EINTR)
		;
	*l = (struct lane){ .pid = 0, .fd = -1, .busy = -1 };
	return status;
}

static char *death_message(int status)
{
	if (WIFSIGNALED(status))
		return xasprintf("the process grading it died (signal %d)", WTERMSIG(status));
	return xasprintf("the process grading it stopped (status %d)", WEXITSTATUS(status));
}

/* any_order: emits outs[index] now. */
static int emit_any(const struct batch_ops *ops, void *ctx, struct batch_output *outs, size_t index, size_t *emitted)
{
	int rc = ops->emit(ctx, index, &outs[index]);
	batch_output_release(&outs[index]);
	(*emitted)++;
	return rc;
}

static int run_inline(size_t n, const struct batch_ops *ops, void *ctx, char *err, size_t errlen)
{
	if (ops->lane_start(ctx, err, errlen) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct batch_output out = { 0 };
		ops->grade(ctx, i, &out);
		if (ops->emit(ctx, i, &out) < 0) {
			snprintf(err, errlen, "%s", "cannot write the report");
			rc = -1;
		}
		batch_output_release(&out);
	}
	ops->lane_stop(ctx);
	return rc;
}

/* The state of one batch_run() over lanes. */
struct pool {
	size_t n;
	unsigned jobs, alive;
	const struct batch_ops *ops;
	void *ctx;
	struct lane *lanes;
	struct batch_output *outs;   /* by submission, until emitted */
	bool *finished;
	struct pollfd *pfds;
	size_t next, emitted;        /* the next submission to hand out; how many emitted */
	bool stopping;               /* asked to stop: no new work, grace until deadline */
	double deadline;
	char fatal[512];             /* why a lane could not start, if one could not */
};

/* Whether the stop flag ends the batch now: once raised, running
 * submissions get until the grace deadline (none when asked twice).
 * Otherwise *timeout is how long poll() may wait (-1: no limit). */
static bool pool_stops_now(struct pool *p, int *timeout)
{
	const struct batch_ops *ops = p->ops;
	*timeout = -1;
	if (ops->stop && *ops->stop && !p->stopping) {
		p->stopping = true;
		p->deadline = now_seconds() + ops->grace;
	}
	if (!p->stopping)
		return false;
	if (*ops->stop > 1)
		p->deadline = 0;   /* asked twice: no more grace */
	bool busy = false;
	for (unsigned j = 0; j < p->jobs; j++)
		busy |= p->lanes[j].pid && p->lanes[j].busy >= 0;
	double left = p->deadline - now_seconds();
	if (!busy || left <= 0)
		return true;
	*timeout = (int)(left * 1000) + 1;
	return false;
}

/* Work to every idle lane, unless stopping. */
static void pool_dispatch(struct pool *p)
{
	for (unsigned j = 0; j < p->jobs; j++) {
		struct lane *l = &p->lanes[j];
		if (!l->pid || l->busy >= 0 || p->next >= p->n || p->stopping)
			continue;
		unsigned char req[4];
		wire_put_be32(req, (uint32_t)p->next);
		if (wire_send_raw(l->fd, req, sizeof(req)) == 0) {
			l->busy = (long)p->next++;
			if (p->ops->started)
				p->ops->started(p->ctx, (size_t)l->busy);
		}
		/* else: it is dying; the poll sees it go. */
	}
}

/* Submission index is done with out (taken); emitted at once when the
 * batch emits in any order.  Returns 0, or -1 when writing failed. */
static int pool_finish(struct pool *p, size_t index, struct batch_output out)
{
	p->outs[index] = out;
	p->finished[index] = true;
	if (p->ops->any_order && emit_any(p->ops, p->ctx, p->outs, index, &p->emitted) < 0)
		return -1;
	return 0;
}

/* A lane that has gone, or talked nonsense: the submission it had is lost,
 * said so, and a fresh lane takes its place.  Returns 0, or -1 when
 * writing failed. */
static int pool_lane_lost(struct pool *p, struct lane *l)
{
	long lost = l->busy;
	int status = lane_close(l, true);
	p->alive--;
	if (lost < 0)
		return 0;
	if (p->stopping || (p->ops->stop && *p->ops->stop))
		return 0;   /* killed by the interrupt, most likely: not a verdict; it stays to do */
	if (p->next < p->n && lane_spawn(p->lanes, p->jobs, l, p->ops, p->ctx) == 0)
		p->alive++;
	return pool_finish(p, (size_t)lost,
			   (struct batch_output){ .error = death_message(status), .internal = true });
}

/* Reads what lane l said.  Returns 0, or -1 when writing a report failed. */
static int pool_read_lane(struct pool *p, struct lane *l)
{
	char *msg = NULL;
	size_t len = 0;
	struct batch_output out = { 0 };
	unsigned flags = 0;
	long index = -1;
	if (wire_recv_raw(l->fd, &msg, &len, OUTPUT_MAX_BYTES, 0) == 0)
		index = parse_output((const unsigned char *)msg, len, p->n, &flags, &out);
	free(msg);
	if (index >= 0 && (flags & FLAG_FATAL)) {
		snprintf(p->fatal, sizeof(p->fatal), "%s", out.error ? out.error : "a grading process failed");
		batch_output_release(&out);
		lane_close(l, false);
		p->alive--;
		return 0;
	}
	if (index >= 0 && index == l->busy) {
		l->busy = -1;
		return pool_finish(p, (size_t)index, out);
	}
	batch_output_release(&out);
	return pool_lane_lost(p, l);
}

/* In the order given: everything finished from the first not yet emitted. */
static int pool_emit_in_order(struct pool *p)
{
	while (!p->ops->any_order && p->emitted < p->n && p->finished[p->emitted]) {
		int erc = p->ops->emit(p->ctx, p->emitted, &p->outs[p->emitted]);
		batch_output_release(&p->outs[p->emitted]);
		p->emitted++;
		if (erc < 0)
			return -1;
	}
	return 0;
}

/* One round: hand out work, wait for lanes, read them, emit.  Returns 0
 * to go on, BATCH_STOPPED, or -1 with words in err. */
static int pool_round(struct pool *p, char *err, size_t errlen)
{
	int timeout;
	if (pool_stops_now(p, &timeout))
		return BATCH_STOPPED;
	pool_dispatch(p);
	if (p->alive == 0)
		return fail(err, errlen, "%s", *p->fatal ? p->fatal : "cannot start a grading process");
	for (unsigned j = 0; j < p->jobs; j++)
		p->pfds[j] = (struct pollfd){ .fd = p->lanes[j].pid ? p->lanes[j].fd : -1, .events = POLLIN };
	if (p->ops->tick) {
		p->ops->tick(p->ctx);
		if (timeout < 0 || timeout > 1000)
			timeout = 1000;
	}
	if (poll(p->pfds, p->jobs, timeout) < 0)
		return errno == EINTR ? 0 : fail_errno(err, errlen, errno, "poll");
	for (unsigned j = 0; j < p->jobs; j++)
		if (p->lanes[j].pid && p->pfds[j].revents && pool_read_lane(p, &p->lanes[j]) < 0)
			return fail(err, errlen, "%s", "cannot write the report");
	if (pool_emit_in_order(p) < 0)
		return fail(err, errlen, "%s", "cannot write the report");
	return 0;
}

int batch_run(size_t n, unsigned jobs, const struct batch_ops *ops, void *ctx, char *err, size_t errlen)
{
	if (n == 0)
		return 0;
	if (jobs > n)
		jobs = (unsigned)n;
	if (jobs == 0)
		jobs = 1;
	if (jobs <= 1 && !ops->stop)
		return run_inline(n, ops, ctx, err, errlen);

	int rc = 0;
	struct pool p = {
		.n = n, .jobs = jobs, .ops = ops, .ctx = ctx,
		.lanes = xcalloc(jobs, sizeof(struct lane)), .outs = xcalloc(n, sizeof(struct batch_output)),
		.finished = xcalloc(n, sizeof(bool)), .pfds = xcalloc(jobs, sizeof(struct pollfd)),
	};
	for (unsigned j = 0; j < jobs; j++) {
		p.lanes[j] = (struct lane){ .pid = 0, .fd = -1, .busy = -1 };
		if (lane_spawn(p.lanes, jobs, &p.lanes[j], ops, ctx) == 0)
			p.alive++;
	}
	while (rc == 0 && p.emitted < n)
		rc = pool_round(&p, err, errlen);
	if (rc == 0 && *p.fatal)
		fprintf(stderr, "grade: warning: a grading process could not start (%s); the others graded everything\n",
			p.fatal);
	for (unsigned j = 0; j < jobs; j++)
		if (p.lanes[j].pid)
			lane_close(&p.lanes[j], rc < 0 || (rc == BATCH_STOPPED && p.lanes[j].busy >= 0));
	for (size_t i = 0; i < n; i++)
		batch_output_release(&p.outs[i]);
	free(p.pfds);
	free(p.finished);
	free(p.outs);
	free(p.lanes);
	return rc;
}
