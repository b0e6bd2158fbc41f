#include "sandbox/internal.h"

#include "base/error.h"

/* ====================================================================== */
/* Landlock.                                                               */
/* ====================================================================== */

static uint64_t landlock_fs_rights(int abi)
{
	uint64_t all = (LL_FS_MAKE_SYM << 1) - 1;	/* ABI 1 */
	if (abi >= 2)
		all |= LL_FS_REFER;
	if (abi >= 3)
		all |= LL_FS_TRUNCATE;
	if (abi >= 5)
		all |= LL_FS_IOCTL_DEV;
	return all;
}

/* Adds "path and everything beneath it may be accessed with rights".  A missing path is not an error (an optional
 * /usr/lib64, say); anything else is. */
static int landlock_allow(int ruleset, const char *path, uint64_t rights, uint64_t handled, char *err, size_t errlen)
{
	struct landlock_path_beneath_attr pb;
	struct stat st;
	int fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return fail_errno(err, errlen, errno, "landlock: cannot open '%s'", path);
	}
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return fail_errno(err, errlen, e, "landlock: cannot stat '%s'", path);
	}
	pb.allowed_access = rights & handled;
	if (!S_ISDIR(st.st_mode))
		pb.allowed_access &= LL_FS_FILE_RIGHTS;
	pb.parent_fd = fd;
	if (pb.allowed_access && syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0) {
		int e = errno;
		close(fd);
		return fail_errno(err, errlen, e, "landlock: cannot add a rule for '%s'", path);
	}
	close(fd);
	return 0;
}

int apply_landlock(const struct sandbox_policy *p, int abi, char *err, size_t errlen)
{
	/* Everything a student needs in the scratch directory, but no symlinks (a link planted for the grader to
	 * follow later), devices, fifos or sockets, and no execution. */
	const uint64_t scratch = LL_FS_READ_FILE | LL_FS_WRITE_FILE | LL_FS_READ_DIR | LL_FS_REMOVE_DIR |
		LL_FS_REMOVE_FILE | LL_FS_MAKE_DIR | LL_FS_MAKE_REG | LL_FS_REFER | LL_FS_TRUNCATE;
	const uint64_t readonly = LL_FS_READ_FILE | LL_FS_READ_DIR;
	/* open("/dev/null", "w") truncates. */
	const uint64_t devnull = LL_FS_READ_FILE | LL_FS_WRITE_FILE | LL_FS_TRUNCATE;
	struct ll_ruleset_attr attr;
	size_t attr_size = sizeof(attr.handled_access_fs);
	int rs, rc = -1;

	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = landlock_fs_rights(abi);
	if (abi >= 4) {
		/* Handled and never granted: no TCP bind or connect, whatever the network namespace. */
		attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
		attr_size = offsetof(struct ll_ruleset_attr, scoped);
	}
	if (abi >= 6) {
		/* No signals to processes outside this domain (S, other checks); no abstract unix sockets. */
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
		attr_size = sizeof(attr);
	}
	rs = (int)syscall(SYS_landlock_create_ruleset, &attr, attr_size, 0);
	if (rs < 0)
		return fail_errno(err, errlen, errno, "landlock_create_ruleset");
	for (const char *const *path = p->read_paths; path && *path; path++)
		if (landlock_allow(rs, *path, readonly, attr.handled_access_fs, err, errlen) < 0)
			goto done;
	if (landlock_allow(rs, "/dev/null", devnull, attr.handled_access_fs, err, errlen) < 0)
		goto done;
	if (landlock_allow(rs, p->scratch_dir, scratch, attr.handled_access_fs, err, errlen) < 0)
		goto done;
	if (syscall(SYS_landlock_restrict_self, rs, 0) < 0) {
		fail_errno(err, errlen, errno, "landlock_restrict_self");
		goto done;
	}
	rc = 0;
done:
	close(rs);
	return rc;
}

/* ====================================================================== */
/* seccomp.                                                                */
