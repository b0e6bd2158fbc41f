/*
 * attempt.c - a student's repository into the commits to grade (attempt.h).
 */
#include "book/attempt.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/util.h"
#include "git/repo.h"
#include "git/tree.h"

/* What due_pick's callbacks read. */
struct evidence_ctx {
	struct book *book;
	const char *repo;
	const char *student;
	const struct csv_table *pushed;
};

static int iso_seconds(const char *iso, double *out)
{
	int64_t t;
	if (!iso || due_parse_time(iso, &t, NULL, 0) < 0)
		return 0;
	/* The gradebook's times carry milliseconds: keep them. */
	const char *dot = strchr(iso, '.');
	*out = (double)t + (dot ? strtod(dot, NULL) : 0);
	return 1;
}

static int fetched_cb(void *p, const git_oid *commit, double *when)
{
	struct evidence_ctx *c = p;
	char *at = NULL;
	int known = 0;
	if (book_git_first_fetched(c->book, c->repo, git_oid_tostr_s(commit), &at, NULL, 0) == 0)
		known = iso_seconds(at, when);
	free(at);
	return known;
}

/* --pushed-at rows: student, commit (the full id or a prefix of 7 or more
 * digits), pushed_at; the header row names them. */
static int pushed_cb(void *p, const git_oid *commit, double *when)
{
	struct evidence_ctx *c = p;
	const char *hex = git_oid_tostr_s(commit);
	int known = 0;
	for (size_t i = 1; c->pushed && i < c->pushed->n; i++) {
		const struct csv_record *r = &c->pushed->records[i];
		if (r->n < 3 || strcmp(r->fields[0], c->student) || strlen(r->fields[1]) < 7 ||
		    strncmp(hex, r->fields[1], strlen(r->fields[1])))
			continue;
		double t;
		if (iso_seconds(r->fields[2], &t) && (!known || t < *when)) {
			*when = t;
			known = 1;
		}
	}
	return known;
}

/* Records the fetch: each branch's tip, and every commit it brought that
 * no earlier fetch of this repository saw. */
static int record_fetch(struct book *b, const char *repo_id, const struct repo_fetch *f, const char *at,
			const char *branch, char **branch_last, char **branch_last_at, char *err, size_t errlen)
{
	git_branch_iterator *it = NULL;
	git_reference *ref = NULL;
	git_revwalk *walk = NULL;
	git_branch_t type;
	int rc = -1;
	if (git_revwalk_new(&walk, f->repo) < 0 || git_branch_iterator_new(&it, f->repo, GIT_BRANCH_LOCAL) < 0) {
		repo_fail(err, errlen, "cannot read the branches of '%s'", repo_id);
		goto done;
	}
	while (git_branch_next(&ref, &type, it) == 0) {
		const char *name = NULL;
		const git_oid *tip = git_reference_target(ref);
		char *last = NULL, *last_at = NULL;
		git_oid last_id;
		git_branch_name(&name, ref);
		if (tip && name) {
			if (book_git_last_tip(b, repo_id, name, &last, &last_at, err, errlen) < 0 ||
			    book_git_tip_add(b, repo_id, name, at, git_oid_tostr_s(tip), err, errlen) < 0) {
				free(last);
				free(last_at);
				goto done;
			}
			git_revwalk_push(walk, tip);
			/* What an earlier fetch saw, it recorded (the hide fails
			 * quietly for a commit a force-push took away). */
			if (last && git_oid_fromstr(&last_id, last) == 0)
				git_revwalk_hide(walk, &last_id);
			if (branch && !strcmp(name, branch)) {   /* the caller's, for a force-push */
				*branch_last = last;
				*branch_last_at = last_at;
				last = last_at = NULL;
			}
		}
		free(last);
		free(last_at);
		git_reference_free(ref);
		ref = NULL;
	}
	git_oid id;
	while (git_revwalk_next(&id, walk) == 0)
		if (book_git_seen_add(b, repo_id, git_oid_tostr_s(&id), at, err, errlen) < 0)
			goto done;
	rc = 0;
done:
	git_reference_free(ref);
	git_branch_iterator_free(it);
	git_revwalk_free(walk);
	return rc;
}

static void add_note(struct grade_source *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_note(struct grade_source *s, const char *fmt, ...)
{
	s->notes = xrealloc(s->notes, (s->n_notes + 1) * sizeof(*s->notes));
	va_list ap;
	va_start(ap, fmt);
	s->notes[s->n_notes++] = xvasprintf(fmt, ap);
	va_end(ap);
}

/* One commit's attempt: its tree into a directory, its source and key. */
static int make_attempt(git_repository *repo, const struct due_commit *c, const struct roster_entry *e,
			const struct repo_options *o, const char *branch, const struct due_pick *pick,
			int64_t deadline, const char *deadline_text, bool is_late, struct attempt *a, char **missing,
			char *err, size_t errlen)
{
	struct tree_extract tx = TREE_EXTRACT_INIT;
	char hex[GIT_OID_HEXSZ + 1], when[32];
	int rc = -1;
	git_oid_tostr(hex, sizeof(hex), &c->id);
	*a = (struct attempt){ 0 };
	a->dir = xasprintf("%s/%s.XXXXXX", o->scratch_root, is_late ? "late" : "due");
	if (!mkdtemp(a->dir)) {
		fail_errno(err, errlen, errno, "cannot create '%s'", a->dir);
		goto done;
	}
	char why[512];
	if (tree_extract(repo, &c->id, a->dir, &tx, why, sizeof(why)) < 0) {
		*missing = xasprintf("commit %.12s cannot be graded: %s", hex, why);
		rc = 0;
		goto done;
	}
	struct grade_source *s = &a->source;
	s->repo = xstrdup(e->path);
	s->branch = xstrdup(branch);
	s->commit = xstrdup(hex);
	due_format_time(c->commit_time, c->commit_offset, when);
	s->commit_time = xstrdup(when);
	struct buf refused = BUF_INIT((size_t)1 << 20);
	for (size_t i = 0; i < pick->n_flags; i++)
		add_note(s, "%s", pick->flags[i]);
	for (size_t i = 0; i < tx.n_refused; i++) {
		add_note(s, "not graded: %s: %s", tx.refused[i].path, tx.refused[i].reason);
		buf_printf(&refused, "%s\n", tx.refused[i].path);
	}
	char tree_hex[GIT_OID_HEXSZ + 1];
	git_oid_tostr(tree_hex, sizeof(tree_hex), &c->tree);
	const char *parts[] = { "git commit", hex, tree_hex, refused.len ? refused.data : "" };
	digest_strings(parts, ARRAY_SIZE(parts), a->content);
	buf_release(&refused);
	if (o->has_deadline || e->deadline) {
		char policy[160] = "none";
		if (o->has_policy)
			late_policy_describe(&o->policy, policy, sizeof(policy));
		s->deadline = xstrdup(deadline_text);
		s->date_source = xstrdup(due_source_name(o->date_source));
		due_format_utc(c->decided, when);
		s->evidence_time = xstrdup(when);
		a->seconds_late = c->decided - (double)deadline;
		s->late = a->seconds_late > 0;
		s->days_late = s->late ? a->seconds_late / 86400 : 0;
		s->late_policy = xstrdup(policy);
		a->key_extra = xasprintf("deadline %lld; source %s; decided %.3f; policy %s; %s", (long long)deadline,
					 s->date_source, c->decided, policy, is_late ? "late" : "due");
	} else {
		a->key_extra = xstrdup("no deadline");
	}
	rc = 0;
done:
	tree_extract_release(&tx);
	if (rc < 0 || *missing) {
		attempt_release(a);
	}
	return rc;
}

char *attempt_url(const char *path, char *err, size_t errlen)
{
	char abs[PATH_MAX];
	/* libgit2 takes a local repository by its absolute path. */
	char *url = repo_is_url(path) ? xstrdup(path) : realpath(path, abs) ? xstrdup(abs) : NULL;
	if (!url)
		fail_errno(err, errlen, errno, "cannot open the repository '%s'", path);
	return url;
}

int attempts_plan(struct book *b, const struct roster_entry *e, const struct repo_options *o,
		  const struct fetch_job *fetched, struct attempt out[2], size_t *n, char **missing, char *err,
		  size_t errlen)
{
	struct repo_fetch f = { 0 };
	struct due_pick pick = { 0 };
	char *url = NULL, *prior = NULL, *last = NULL, *last_at = NULL, at[32];
	int rc = -1;
	*n = 0;
	*missing = NULL;
	if (fetched) {
		if (!fetched->done) {
			fail(err, errlen, "%s", fetched->error ? fetched->error : "not fetched (the run was stopped)");
			goto done;
		}
		if (repo_open_mirror(o->cache_dir, fetched->url, &f, err, errlen) < 0)
			goto done;
		f.cloned = fetched->cloned;
		f.head_branch = fetched->head_branch ? xstrdup(fetched->head_branch) : NULL;
		f.fetched_at = fetched->fetched_at;
	} else if (!(url = attempt_url(e->path, err, errlen)) || repo_fetch(o->cache_dir, url, &f, err, errlen) < 0) {
		goto done;
	}
	if (o->stats)
		o->stats[f.cloned ? 0 : 1]++;
	due_format_utc(f.fetched_at, at);
	const char *branch = o->branch ? o->branch : f.head_branch;
	git_oid tip;
	int has_tip = repo_branch_tip(&f, branch, &tip, err, errlen);
	if (has_tip < 0)
		goto done;
	bool has_deadline = o->has_deadline || e->deadline;
	int64_t deadline = e->deadline ? (int64_t)e->deadline_at : o->deadline;
	const char *deadline_text = e->deadline ? e->deadline : o->deadline_text;
	char deadline_iso[32] = "";
	if (has_deadline)
		due_format_utc((double)deadline, deadline_iso);
	if (book_begin(b, err, errlen) < 0)
		goto done;
	if ((has_deadline && book_git_prior_fetch(b, e->path, deadline_iso, &prior, err, errlen) < 0) ||
	    record_fetch(b, e->path, &f, at, branch, &last, &last_at, err, errlen) < 0) {
		book_rollback(b);
		goto done;
	}
	if (book_commit(b, err, errlen) < 0)
		goto done;
	if (has_tip == 1) {
		git_reference_iterator *it = NULL;
		git_reference *any = NULL;
		bool has_branches = git_reference_iterator_glob_new(&it, f.repo, "refs/heads/*") == 0 &&
				    git_reference_next(&any, it) == 0;
		git_reference_free(any);
		git_reference_iterator_free(it);
		*missing = branch ? xasprintf("the repository has no branch '%s'", branch)
			   : has_branches ? xstrdup("the repository's HEAD is detached (no default branch): pass --branch")
					  : xstrdup("the repository is empty (no commit)");
		rc = 0;
		goto done;
	}
	struct evidence_ctx ctx = { b, e->path, e->student, o->pushed };
	struct due_evidence ev = { fetched_cb, pushed_cb, &ctx, 0 };
	iso_seconds(prior, &ev.prior_fetch);
	if (due_pick(f.repo, &tip, has_deadline, deadline, o->date_source, &ev, &pick, err, errlen) < 0)
		goto done;
	/* A force-push: the tip an earlier fetch saw is gone from the branch. */
	git_oid last_id;
	if (last && git_oid_fromstr(&last_id, last) == 0 && !git_oid_equal(&last_id, &tip) &&
	    git_graph_descendant_of(f.repo, &tip, &last_id) != 1 && pick.n_flags < DUE_MAX_FLAGS)
		pick.flags[pick.n_flags++] = xasprintf("history rewritten: commit %.12s, the tip of '%s' when grade "
						       "fetched it at %s, is no longer on it (a force-push)",
						       last, branch, last_at);
	bool late_counts = pick.has_late && o->has_policy && o->policy.accepts_late;
	if (!pick.has_due && !late_counts) {
		char d[32];
		due_format_utc((double)deadline, d);
		*missing = xasprintf("no commit on '%s' at or before the deadline %s (by %s time)%s", branch,
				     deadline_text ? deadline_text : d, due_source_name(o->date_source),
				     pick.has_late ? "; later commits are not graded under the late policy 'none'" : "");
		rc = 0;
		goto done;
	}
	if (pick.has_due) {
		if (make_attempt(f.repo, &pick.due, e, o, branch, &pick, deadline, deadline_text, false, &out[*n],
				 missing, err, errlen) < 0)
			goto done;
		if (*missing) {
			rc = 0;
			goto done;
		}
		if (pick.has_late && !late_counts)
			add_note(&out[*n].source, "a later commit %.12s is not graded: the late policy is 'none'",
				 git_oid_tostr_s(&pick.late.id));
		(*n)++;
	}
	if (late_counts) {
		if (make_attempt(f.repo, &pick.late, e, o, branch, &pick, deadline, deadline_text, true, &out[*n],
				 missing, err, errlen) < 0)
			goto done;
		if (*missing && *n) {   /* the late tree cannot be graded: the due one still counts */
			add_note(&out[0].source, "%s", *missing);
			free(*missing);
			*missing = NULL;
		} else if (!*missing) {
			(*n)++;
		}
	}
	rc = 0;
done:
	if (rc < 0)
		while (*n)
			attempt_release(&out[--*n]);
	due_pick_release(&pick);
	repo_fetch_release(&f);
	free(url);
	free(prior);
	free(last);
	free(last_at);
	return rc;
}

void attempt_apply_penalty(const struct attempt *a, const struct repo_options *o, struct grade_result *g)
{
	const struct grade_source *s = &a->source;
	struct grade_source *d = grade_source_copy(s);
	if (s->deadline && a->seconds_late > 0) {
		struct late_policy none = { .accepts_late = false };
		double factor = late_factor(o->has_policy ? &o->policy : &none, a->seconds_late, &d->days_charged);
		d->late_penalty = g->score * (1 - factor);
	}
	grade_source_free(g->source);
	g->source = d;
	/* The report names the repository, not the directory its tree went to. */
	free(g->submission);
	g->submission = xasprintf("%s@%.12s", s->repo, s->commit);
}

void attempt_release(struct attempt *a)
{
	free(a->dir);   /* the directory goes with the scratch root, its owner's */
	free(a->key_extra);
	grade_source_release(&a->source);
	*a = (struct attempt){ 0 };
}
