/*
 * hostile-pid1 SECONDS COMMAND [ARG...] - runs COMMAND (grade) for the hostile corpus and proves that nothing it
 * started outlives it.
 *
 * Meant to be pid 1 of a fresh pid namespace (unshare --pid --fork --mount-proc): then every process of the run is
 * visible in /proc and, when this process exits, the kernel kills whatever is left.  It also works as a plain
 * child subreaper (no namespace), where orphans re-parent to it.  Either way it:
 *   - reaps every orphan while COMMAND runs;
 *   - kills everything if COMMAND runs longer than SECONDS, or if the namespace holds more than MAX_PROCS
 *     processes (a fork bomb that got through the sandbox fails the test instead of taking the machine down);
 *   - after COMMAND exits, lists every process still there (other than itself), prints each on stderr as
 *     "hostile-pid1: survivor PID (NAME)", and kills them.
 * Exit status: COMMAND's (128 + signal if killed), or 97 on timeout, 98 on too many processes, 99 on survivors.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PROCS 200

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads /proc/PID/stat: state and parent.  Returns 0, or -1 when the process is gone. */
static int proc_stat(pid_t pid, char *name, size_t n, char *state, pid_t *ppid)
{
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	bool ok = fgets(line, sizeof(line), f) != NULL;
	fclose(f);
	char *open = strchr(line, '('), *close = strrchr(line, ')');
	if (!ok || !open || !close || close < open)
		return -1;
	snprintf(name, n, "%.*s", (int)(close - open - 1), open + 1);
	int pp = 0;
	if (sscanf(close + 1, " %c %d", state, &pp) != 2)
		return -1;
	*ppid = (pid_t)pp;
	return 0;
}

/* Processes that belong to this run: all of them when pid 1 of a namespace, else our children.  When report is
 * set, prints the live ones.  Returns how many are alive (zombies are reaped, not counted). */
static int others(bool report)
{
	pid_t self = getpid();
	int alive = 0;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0 || pid == self)
			continue;
		char name[64], state = '?';
		pid_t ppid = 0;
		if (proc_stat((pid_t)pid, name, sizeof(name), &state, &ppid) < 0 || state == 'Z' || state == 'X')
			continue;
		if (self != 1 && ppid != self)
			continue;
		alive++;
		if (report)
			fprintf(stderr, "hostile-pid1: survivor %ld (%s, state %c)\n", pid, name, state);
	}
	closedir(d);
	return alive;
}

static void kill_all(pid_t child)
{
	if (getpid() == 1) {
		kill(-1, SIGKILL);
	} else {
		kill(-child, SIGKILL);
		kill(child, SIGKILL);
	}
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: hostile-pid1 SECONDS COMMAND [ARG...]\n");
		return 2;
	}
	double limit = atof(argv[1]);
	if (getpid() != 1)
		prctl(PR_SET_CHILD_SUBREAPER, 1);
	pid_t child = fork();
	if (child < 0)
		return 2;
	if (child == 0) {
		setpgid(0, 0);
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	double deadline = now() + limit;
	int status = 0, rc = -1;
	for (;;) {
		pid_t p = waitpid(-1, &status, WNOHANG);
		if (p == child) {
			rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			break;
		}
		if (p > 0)
			continue;	/* an orphan of the run: reaped */
		if (now() > deadline) {
			fprintf(stderr, "hostile-pid1: %s still running after %g s: killed\n", argv[2], limit);
			kill_all(child);
			rc = 97;
			break;
		}
		if (getpid() == 1 && others(false) > MAX_PROCS) {
			fprintf(stderr, "hostile-pid1: more than %d processes: killed\n", MAX_PROCS);
			kill_all(child);
			rc = 98;
			break;
		}
		usleep(20000);
	}
	/* grade kills and waits for its children before it exits; whatever is left escaped.  A process killed an
	 * instant ago may still be on its way out: look again for half a second before calling it a survivor. */
	for (int i = 0; i < 10 && others(false) > 0; i++)
		usleep(50000);
	if (others(true) > 0) {
		kill_all(child);
		if (rc < 97)
			rc = 99;
	}
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	return rc;
}
