/*
 * The kernel floor for the mount rows of the benchmark: mounts and unmounts
 * one overlay with the given lower dirs, the way ovlayer's strategies do, and
 * nothing else (no store files, no locks, no runtime start-up). The benchmark
 * compares how ovlayer's cost grows with depth against how this grows.
 *
 *   mountfloor api|fd|direct MERGED UPPER WORK LOWER...
 *
 * api:    fsopen("overlay"), fsconfig(FSCONFIG_SET_FD, "lowerdir+") per lower,
 *         upperdir/workdir by fd, fsmount with nodev, move_mount (Linux 6.13+).
 * fd:     open every dir, chdir /proc/self/fd, mount(2) with "lowerdir=5:6:...", nodev.
 * direct: mount(2) with absolute paths (must fit in one page).
 * Then umount2(MERGED, MNT_DETACH). Exit 0 on success, 1 with a message otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Raw numbers: glibc 2.36 has no wrappers (the same on x86_64 and arm64). */
#define NR_move_mount 429
#define NR_fsopen 430
#define NR_fsconfig 431
#define NR_fsmount 432
#define SET_FD 5     /* FSCONFIG_SET_FD */
#define CMD_CREATE 6 /* FSCONFIG_CMD_CREATE */
#define F_EMPTY_PATH 0x4   /* MOVE_MOUNT_F_EMPTY_PATH */
#define ATTR_NODEV 0x4     /* MOUNT_ATTR_NODEV: the benchmark's stores mount with nodev */
#define DATA_MAX 65536

static void die(const char *what) {
  fprintf(stderr, "mountfloor: %s: %s\n", what, strerror(errno));
  exit(1);
}

static int opendir_fd(const char *p) {
  int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) die(p);
  return fd;
}

static void fsconfig_fd(int fsfd, const char *key, const char *path) {
  int fd = opendir_fd(path);
  if (syscall(NR_fsconfig, fsfd, SET_FD, key, NULL, fd) < 0) die(key);
  close(fd);
}

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: mountfloor api|fd|direct MERGED UPPER WORK LOWER...\n");
    return 2;
  }
  const char *how = argv[1], *merged = argv[2], *upper = argv[3], *work = argv[4];
  int nlower = argc - 5;
  static char data[DATA_MAX];
  if (strcmp(how, "api") == 0) {
    int fsfd = syscall(NR_fsopen, "overlay", 1);
    if (fsfd < 0) die("fsopen");
    for (int i = 0; i < nlower; i++) fsconfig_fd(fsfd, "lowerdir+", argv[5 + i]);
    fsconfig_fd(fsfd, "upperdir", upper);
    fsconfig_fd(fsfd, "workdir", work);
    if (syscall(NR_fsconfig, fsfd, CMD_CREATE, NULL, NULL, 0) < 0) die("create");
    int mfd = syscall(NR_fsmount, fsfd, 1, ATTR_NODEV);
    if (mfd < 0) die("fsmount");
    if (syscall(NR_move_mount, mfd, "", AT_FDCWD, merged, F_EMPTY_PATH) < 0) die("move_mount");
    close(mfd);
    close(fsfd);
  } else if (strcmp(how, "fd") == 0) {
    int cwd = opendir_fd(".");
    int n = snprintf(data, DATA_MAX, "lowerdir=");
    for (int i = 0; i < nlower; i++) n += snprintf(data + n, DATA_MAX - n, "%s%d", i ? ":" : "", opendir_fd(argv[5 + i]));
    int u = opendir_fd(upper), w = opendir_fd(work);
    snprintf(data + n, DATA_MAX - n, ",upperdir=%d,workdir=%d", u, w);
    if (chdir("/proc/self/fd") < 0) die("chdir");
    if (mount("overlay", merged, "overlay", MS_NODEV, data) < 0) die("mount");
    if (fchdir(cwd) < 0) die("fchdir");
  } else if (strcmp(how, "direct") == 0) {
    int n = snprintf(data, DATA_MAX, "lowerdir=");
    for (int i = 0; i < nlower; i++) n += snprintf(data + n, DATA_MAX - n, "%s%s", i ? ":" : "", argv[5 + i]);
    n += snprintf(data + n, DATA_MAX - n, ",upperdir=%s,workdir=%s", upper, work);
    if (n >= getpagesize()) {
      errno = E2BIG;
      die("mount data does not fit in a page");
    }
    if (mount("overlay", merged, "overlay", MS_NODEV, data) < 0) die("mount");
  } else {
    fprintf(stderr, "mountfloor: unknown strategy %s\n", how);
    return 2;
  }
  if (umount2(merged, MNT_DETACH) < 0) die("umount2");
  return 0;
}
