/*
 * scratch_open / scratch_fresh_copy / scratch_refresh: what a check sees of a submission.  Each case builds a submission in a
 * temporary directory, then lets a forked child (scratch_open changes the calling process's mount namespace) copy it
 * and describe the copy; the parent compares that description and removes its directory.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run/scratch.h"
#include "base/util.h"

TestSuite(scratch, .timeout = 30);

static char *make_dir(void)
{
	char *d = strdup("/tmp/grade-test-scratch-XXXXXX");
	cr_assert_not_null(mkdtemp(d));
	return d;
}

static void put(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "cannot write %s", path);
	fputs(text, f);
	fclose(f);
	free(path);
}

/* Appends "relative/path" lines (files) and "relative/path/" lines (directories), sorted by the caller. */
static void list_tree(const char *root, const char *rel, FILE *out)
{
	char *path = *rel ? xasprintf("%s/%s", root, rel) : xstrdup(root);
	DIR *d = opendir(path);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char *sub = *rel ? xasprintf("%s/%s", rel, e->d_name) : xstrdup(e->d_name);
		char *full = xasprintf("%s/%s", root, sub);
		struct stat st;
		if (lstat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
			fprintf(out, "%s/\n", sub);
			list_tree(root, sub, out);
		} else if (lstat(full, &st) == 0) {
			fprintf(out, "%s%s\n", sub, S_ISLNK(st.st_mode) ? "@" : "");
		}
		free(sub);
		free(full);
	}
	if (d)
		closedir(d);
	free(path);
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Copies in a child; returns "ok\n" + the sorted listing, or "error: ..." */
static char *copy_and_list(const char *submission)
{
	int p[2];
	cr_assert_eq(pipe(p), 0);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		char err[256];
		struct scratch sc;
		FILE *out = fdopen(p[1], "w");
		if (scratch_open(&sc, submission, err, sizeof(err)) < 0 || scratch_fresh_copy(&sc, err, sizeof(err)) < 0) {
			fprintf(out, "error: %s\n", err);
			fclose(out);
			_exit(0);
		}
		char *dir = xstrdup(sc.dir);
		char *text = NULL;
		size_t len = 0;
		FILE *mem = open_memstream(&text, &len);
		list_tree(dir, "", mem);
		fclose(mem);
		char *listing = xstrdup(text);
		char *lines[256];
		size_t n = 0;
		for (char *tok = strtok(text, "\n"); tok && n < 256; tok = strtok(NULL, "\n"))
			lines[n++] = tok;
		qsort(lines, n, sizeof(*lines), cmp);
		fprintf(out, "ok\n");
		for (size_t i = 0; i < n; i++)
			fprintf(out, "%s\n", lines[i]);
		/* A second copy replaces the first, with the same files: what a
		 * check wrote into the first (on the tmpfs, at the same path) is
		 * gone. */
		char *first = xstrdup(dir);
		char *leftover = xasprintf("%s/written-by-a-check.txt", first);
		FILE *lf = fopen(leftover, "w");
		if (lf)
			fclose(lf);
		struct stat st;
		if (scratch_fresh_copy(&sc, err, sizeof(err)) < 0 || stat(leftover, &st) == 0 || stat(sc.dir, &st) < 0)
			fprintf(out, "second copy wrong\n");
		if (strcmp(first, sc.dir) != 0 && stat(first, &st) == 0)
			fprintf(out, "first copy left behind\n");
		char *again = NULL;
		mem = open_memstream(&again, &len);
		list_tree(sc.dir, "", mem);
		fclose(mem);
		if (strlen(again) != strlen(listing))
			fprintf(out, "second copy differs: %s\n", again);
		free(again);
		/* Refreshed in place (a live check child's Landlock rule names the
		 * directory): the same inode, and nothing of what a check left,
		 * however it locked it away. */
		struct stat before, after;
		char *locked = xasprintf("%s/locked-by-a-check", sc.dir);
		lf = fopen(leftover, "w");
		if (lf)
			fclose(lf);
		if (mkdir(locked, 0700) == 0) {
			char *inner = xasprintf("%s/inner.txt", locked);
			lf = fopen(inner, "w");
			if (lf)
				fclose(lf);
			free(inner);
			chmod(locked, 0);
		}
		chmod(sc.dir, 0500);
		if (stat(sc.dir, &before) < 0 || scratch_refresh(&sc, err, sizeof(err)) < 0)
			fprintf(out, "refresh failed: %s\n", err);
		else if (stat(sc.dir, &after) < 0 || after.st_ino != before.st_ino || (after.st_mode & 0777) != 0700)
			fprintf(out, "refresh replaced the directory\n");
		if (stat(leftover, &st) == 0 || stat(locked, &st) == 0)
			fprintf(out, "refresh left a check's files behind\n");
		again = NULL;
		mem = open_memstream(&again, &len);
		list_tree(sc.dir, "", mem);
		fclose(mem);
		if (strlen(again) != strlen(listing))
			fprintf(out, "refreshed copy differs: %s\n", again);
		free(again);
		free(locked);
		free(leftover);
		char *second = xstrdup(sc.dir);
		scratch_close(&sc);
		if (stat(second, &st) == 0)
			fprintf(out, "left behind\n");
		free(first);
		free(second);
		free(listing);
		fclose(out);
		_exit(0);
	}
	close(p[1]);
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	char buf[4096];
	ssize_t n;
	while ((n = read(p[0], buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, mem);
	fclose(mem);
	close(p[0]);
	waitpid(pid, NULL, 0);
	return text;
}

static void remove_dir(const char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
	free(cmd);
}

Test(scratch, copies_files_and_directories_but_no_links_or_compiled_code)
{
	char *sub = make_dir();
	put(sub, "refcount.py", "def count_refs(o): pass\n");
	put(sub, "notes.txt", "hello\n");
	put(sub, "cheat.pyc", "x");
	put(sub, "native.so", "x");
	char *pkg = xasprintf("%s/pkg", sub), *cache = xasprintf("%s/__pycache__", sub);
	cr_assert_eq(mkdir(pkg, 0755), 0);
	cr_assert_eq(mkdir(cache, 0755), 0);
	put(pkg, "helper.py", "X = 1\n");
	put(cache, "refcount.cpython-311.pyc", "x");
	char *l1 = xasprintf("%s/passwd", sub), *l2 = xasprintf("%s/root", sub), *l3 = xasprintf("%s/self.py", sub);
	cr_assert_eq(symlink("/etc/passwd", l1), 0);
	cr_assert_eq(symlink("/", l2), 0);
	cr_assert_eq(symlink("refcount.py", l3), 0);

	char *got = copy_and_list(sub);
	cr_expect_str_eq(got, "ok\nnotes.txt\npkg/\npkg/helper.py\nrefcount.py\n");
	free(got);
	remove_dir(sub);
	free(pkg);
	free(cache);
	free(l1);
	free(l2);
	free(l3);
	free(sub);
}

Test(scratch, copies_file_contents)
{
	char *sub = make_dir();
	put(sub, "a.py", "print('the very same bytes')\n");
	int p[2];
	cr_assert_eq(pipe(p), 0);
	pid_t pid = fork();
	if (pid == 0) {
		char err[256];
		struct scratch sc;
		if (scratch_open(&sc, sub, err, sizeof(err)) < 0 || scratch_fresh_copy(&sc, err, sizeof(err)) < 0)
			_exit(1);
		char *path = xasprintf("%s/a.py", sc.dir), *text = NULL;
		size_t len = 0;
		if (read_file(&text, &len, path, 1 << 20) < 0)
			_exit(2);
		if (write(p[1], text, len) != (ssize_t)len)
			_exit(3);
		scratch_close(&sc);
		_exit(0);
	}
	close(p[1]);
	char buf[256] = "";
	ssize_t n = read(p[0], buf, sizeof(buf) - 1);
	cr_assert_gt(n, 0);
	buf[n] = '\0';
	int status = 0;
	waitpid(pid, &status, 0);
	cr_expect_eq(status, 0);
	cr_expect_str_eq(buf, "print('the very same bytes')\n");
	close(p[0]);
	remove_dir(sub);
	free(sub);
}

Test(scratch, refuses_countless_files)
{
	char *sub = make_dir();
	for (int i = 0; i < SCRATCH_MAX_FILES + 5; i++) {
		char name[32];
		snprintf(name, sizeof(name), "f%04d.txt", i);
		put(sub, name, "");
	}
	char *got = copy_and_list(sub);
	cr_expect(strstr(got, "error: the submission has more than 1000 files") != NULL, "got: %s", got);
	free(got);
	remove_dir(sub);
	free(sub);
}

Test(scratch, reports_a_missing_submission)
{
	char *got = copy_and_list("/nonexistent/grade-submission");
	cr_expect(strncmp(got, "error: cannot open /nonexistent/grade-submission", 48) == 0, "got: %s", got);
	free(got);
}
