/* proc.c: run a command (fork + execvp, no shell), watched on the loop by pidfd and pipe. */
#define _GNU_SOURCE /* pipe2, close_range, F_DUPFD_CLOEXEC */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

#define PROC_OUTPUT_MAX (16 * 1024)
/* After the exit, how long a grandchild that inherited the pipe may keep it open. */
#define PROC_PIPE_GRACE_MS 100
/* Reads per wakeup: a child that writes without pause must not starve the loop. */
#define PROC_READS_PER_WAKEUP 8
/* Without pidfd_open (kernel < 5.3, valgrind, a strict seccomp filter), waitpid is
 * polled with this back-off instead. */
#define PROC_POLL_MIN_MS 5
#define PROC_POLL_MAX_MS 100

struct proc {
	struct loop *l;
	pid_t pid;          /* 0 once reaped (or when the fork failed) */
	int pidfd;          /* -1 when closed */
	int outfd;          /* read end of the output pipe, -1 when closed */
	int execfd;         /* read end of the exec-status pipe, -1 when closed */
	bool cancelled;     /* proc_cancel: reap quietly, then free */
	struct loop_io pid_io, out_io;
	struct loop_timer timeout_t; /* SIGKILL when it fires */
	struct loop_timer grace_t;   /* exit seen, EOF not yet; also delivers fork failures */
	struct loop_timer poll_t;    /* no pidfd: poll waitpid */
	int64_t poll_ms;
	proc_cb cb;
	void *arg;
	int64_t started;
	bool exited_seen, eof;
	struct proc_result res;
	size_t outlen;
	char out[PROC_OUTPUT_MAX + 1];
};

static void
proc_close_fds(struct proc *p)
{
	loop_io_stop(p->l, &p->pid_io);
	loop_io_stop(p->l, &p->out_io);
	loop_timer_stop(p->l, &p->timeout_t);
	loop_timer_stop(p->l, &p->grace_t);
	loop_timer_stop(p->l, &p->poll_t);
	if (p->pidfd >= 0)
		close(p->pidfd);
	if (p->outfd >= 0)
		close(p->outfd);
	if (p->execfd >= 0)
		close(p->execfd);
	p->pidfd = p->outfd = p->execfd = -1;
}

/* Once the child is gone, its exec-status pipe holds an errno if the exec failed and is
 * at EOF if it succeeded: the child writes before it exits, so this never waits. */
static void
exec_status(struct proc *p)
{
	int err = 0;
	ssize_t n;

	if (p->execfd < 0)
		return;
	do
		n = read(p->execfd, &err, sizeof(err));
	while (n == -1 && errno == EINTR);
	close(p->execfd);
	p->execfd = -1;
	if (n <= 0)
		return; /* EOF: the exec succeeded (or the child died before trying) */
	if (n != (ssize_t)sizeof(err))
		err = EIO;
	n = snprintf(p->out, sizeof(p->out), "exec: %s", strerror(err));
	p->outlen = n > 0 && (size_t)n < sizeof(p->out) ? (size_t)n : 0;
	p->res.spawn_failed = 1;
}

/* Detach everything from the loop, hand the result over, then free: the callback may
 * start another proc (or free its owner), so nothing of p is touched after it except
 * the final free. */
static void
proc_finish(struct proc *p)
{
	exec_status(p);
	proc_close_fds(p);
	p->out[p->outlen] = '\0';
	p->res.output = p->out;
	p->res.elapsed_ms = loop_clock_ms() - p->started;
	p->cb(p->arg, &p->res);
	free(p);
}

static void
proc_maybe_finish(struct proc *p)
{
	if (p->cancelled) {
		/* Reaped after proc_cancel: nobody is waiting for a result. */
		if (p->exited_seen) {
			proc_close_fds(p);
			free(p);
		}
		return;
	}
	if (p->exited_seen && p->eof)
		proc_finish(p);
	else if (p->exited_seen && !loop_timer_armed(&p->grace_t))
		/* A grandchild may hold the write end: do not wait for it forever. */
		(void)loop_timer_start(p->l, &p->grace_t, PROC_PIPE_GRACE_MS);
}

/* Keep the first PROC_OUTPUT_MAX bytes; drain and drop the rest so the child never
 * blocks on a full pipe. True once the pipe reached EOF (and is closed). */
static bool
drain(struct proc *p)
{
	char sink[4096];

	if (p->outfd < 0)
		return true;
	for (int i = 0; i < PROC_READS_PER_WAKEUP; i++) {
		char *dst = sink;
		size_t room = sizeof(sink);
		ssize_t n;

		if (p->outlen < PROC_OUTPUT_MAX) {
			dst = p->out + p->outlen;
			room = PROC_OUTPUT_MAX - p->outlen;
		}
		n = read(p->outfd, dst, room);
		if (n > 0) {
			if (dst != sink)
				p->outlen += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return false;
		if (n == -1)
			log_warning("proc %d: reading output: %s", (int)p->pid, strerror(errno));
		/* EOF (or a read error, which ends the same way) */
		loop_io_stop(p->l, &p->out_io);
		close(p->outfd);
		p->outfd = -1;
		p->eof = true;
		return true;
	}
	return false;
}

static void
on_output(struct loop *l, struct loop_io *io, uint32_t events)
{
	struct proc *p = io->arg;

	if (!drain(p))
		return;
	if (p->pidfd < 0 && !p->exited_seen)
		/* EOF usually means the exit: look now rather than at the next poll. */
		(void)loop_timer_start(l, &p->poll_t, 0);
	proc_maybe_finish(p);
}

/* True once the child is reaped (its status recorded). */
static bool
reap(struct proc *p)
{
	int status = 0;
	pid_t r;

	do
		r = waitpid(p->pid, &status, WNOHANG);
	while (r == -1 && errno == EINTR);
	if (r == 0)
		return false;
	if (r == -1) {
		/* Someone else reaped it (SIGCHLD ignored?): report it as killed. */
		log_err("waitpid %d: %s", (int)p->pid, strerror(errno));
		p->res.exited = 0;
		p->res.code = SIGKILL;
	} else if (WIFEXITED(status)) {
		p->res.exited = 1;
		p->res.code = WEXITSTATUS(status);
	} else {
		p->res.exited = 0;
		p->res.code = WTERMSIG(status);
	}
	p->pid = 0;
	p->exited_seen = true;
	loop_io_stop(p->l, &p->pid_io);
	loop_timer_stop(p->l, &p->timeout_t);
	loop_timer_stop(p->l, &p->poll_t);
	return true;
}

static void
on_pidfd(struct loop *l, struct loop_io *io, uint32_t events)
{
	struct proc *p = io->arg;

	/* Not yet a zombie (cannot really happen): the pidfd will tell us again. */
	if (reap(p))
		proc_maybe_finish(p);
}

static void
on_poll(struct loop *l, struct loop_timer *t)
{
	struct proc *p = t->arg;

	if (reap(p)) {
		proc_maybe_finish(p);
		return;
	}
	p->poll_ms = p->poll_ms * 2 > PROC_POLL_MAX_MS ? PROC_POLL_MAX_MS : p->poll_ms * 2;
	(void)loop_timer_start(l, t, p->poll_ms);
}

static void
on_timeout(struct loop *l, struct loop_timer *t)
{
	struct proc *p = t->arg;

	if (p->pid <= 0)
		return;
	p->res.timed_out = 1;
	log_warning("proc %d: timed out, killing it", (int)p->pid);
	/* The child leads its own process group: take its descendants too. The pid is
	 * ours (not reaped), so neither id can have been reused. */
	if (kill(-p->pid, SIGKILL) == -1)
		(void)kill(p->pid, SIGKILL);
}

static void
on_grace(struct loop *l, struct loop_timer *t)
{
	struct proc *p = t->arg;

	/* Whatever the exited child wrote is already in the pipe: keep it. */
	(void)drain(p);
	proc_finish(p);
}

/* Move fd to 3 or above (keeping it close-on-exec) so the dup2 onto 0-2 cannot clobber
 * it. Async-signal-safe, like everything the child calls before exec. */
static int
above_stdio(int fd)
{
	return fd > STDERR_FILENO ? fd : fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
}

/* In the forked child, up to exec. Only async-signal-safe calls: the daemon may have
 * threads (libcurl's resolver). stdin is /dev/null, stdout and stderr go into the pipe,
 * every other fd is closed at exec, the signal mask is empty (the daemon blocks
 * HUP/TERM/INT for its signalfd), dispositions are default (SIGPIPE is ignored in the
 * daemon; nginx must not inherit that), and the child leads its own process group so a
 * timeout can kill what it forked too. A failed exec sends errno through errfd, which is
 * close-on-exec: EOF there means the exec succeeded. */
static void __attribute__((noreturn))
child_exec(char *const argv[], int wfd, int errfd)
{
	struct sigaction dfl;
	sigset_t none;
	int err, nul;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	(void)setpgid(0, 0);
	/* EINVAL for SIGKILL/SIGSTOP and glibc's internal signals is expected. */
	for (int sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &dfl, NULL);
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) == -1)
		goto fail;
	if ((wfd = above_stdio(wfd)) == -1 || (errfd = above_stdio(errfd)) == -1)
		goto fail;
	nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (nul == -1 || dup2(nul, STDIN_FILENO) == -1 || dup2(wfd, STDOUT_FILENO) == -1 ||
	    dup2(wfd, STDERR_FILENO) == -1)
		goto fail;
	/* Everything above stderr closes at exec (errfd included); EINVAL/ENOSYS on old
	 * kernels and under valgrind: mark them one by one. */
	if (close_range(STDERR_FILENO + 1, ~0U, CLOSE_RANGE_CLOEXEC) == -1) {
		struct rlimit rl;
		int max = 4096;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
			max = rl.rlim_cur > 65536 ? 65536 : (int)rl.rlim_cur;
		for (int fd = STDERR_FILENO + 1; fd < max; fd++)
			(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	execvp(argv[0], argv);
fail:
	err = errno;
	if (write(errfd, &err, sizeof(err)) < 0) {
		/* the parent then sees EOF and the 127 below */
	}
	_exit(127);
}

/* Fork; 0 with *pid and *execfd set, else the errno of pipe2 or fork. Does not wait
 * for the exec: whether it worked is read from *execfd once the child is gone
 * (exec_status), so a child slow to reach exec never holds the loop. */
static int
spawn_child(pid_t *pid, int *execfd, char *const argv[], int wfd)
{
	int st[2], err = 0;

	if (pipe2(st, O_CLOEXEC) == -1)
		return errno;
	*pid = fork();
	if (*pid == 0)
		child_exec(argv, wfd, st[1]);
	err = *pid == -1 ? errno : 0;
	close(st[1]);
	if (err != 0) {
		close(st[0]);
		*pid = 0;
		return err;
	}
	*execfd = st[0];
	return 0;
}

struct proc *
proc_run(struct loop *l, char *const argv[], int64_t timeout_ms, proc_cb cb, void *arg)
{
	struct proc *p = NULL;
	int pipefd[2] = { -1, -1 };
	int err;

	if (l == NULL || argv == NULL || argv[0] == NULL || cb == NULL) {
		log_err("proc_run: bad argument");
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		log_err("proc_run: out of memory");
		return NULL;
	}
	p->l = l;
	p->cb = cb;
	p->arg = arg;
	p->pidfd = p->outfd = p->execfd = -1;
	p->started = loop_clock_ms();
	loop_timer_init(&p->timeout_t, on_timeout, p);
	loop_timer_init(&p->grace_t, on_grace, p);
	loop_timer_init(&p->poll_t, on_poll, p);
	p->poll_ms = PROC_POLL_MIN_MS;
	if (pipe2(pipefd, O_CLOEXEC) == -1) {
		log_err("proc_run %s: pipe: %s", argv[0], strerror(errno));
		goto fail;
	}
	err = spawn_child(&p->pid, &p->execfd, argv, pipefd[1]);
	close(pipefd[1]);
	pipefd[1] = -1;
	if (err != 0) {
		/* Reported like a failed exec (127), through the callback from the loop, so
		 * the caller has one path for "the command did not work". */
		int n = snprintf(p->out, sizeof(p->out), "fork: %s", strerror(err));

		if (n < 0 || (size_t)n >= sizeof(p->out))
			goto fail;
		close(pipefd[0]);
		pipefd[0] = -1;
		p->pid = 0;
		p->outlen = (size_t)n;
		p->res.exited = 1;
		p->res.code = 127;
		p->res.spawn_failed = 1;
		if (loop_timer_start(l, &p->grace_t, 0) == -1)
			goto fail;
		return p;
	}
	p->outfd = pipefd[0];
	pipefd[0] = -1;
	if (fcntl(p->outfd, F_SETFL, O_NONBLOCK) == -1) {
		log_err("proc_run %s: O_NONBLOCK: %s", argv[0], strerror(errno));
		goto fail_child;
	}
	/* Not reaped yet, so the pid still names our child, even if it already exited. */
	p->pidfd = pidfd_open(p->pid, 0);
	if (p->pidfd == -1 && errno != ENOSYS && errno != EPERM) {
		log_err("proc_run %s: pidfd_open: %s", argv[0], strerror(errno));
		goto fail_child;
	}
	loop_io_init(&p->pid_io, p->pidfd, on_pidfd, p);
	loop_io_init(&p->out_io, p->outfd, on_output, p);
	if ((p->pidfd >= 0 ? loop_io_start(l, &p->pid_io, EPOLLIN)
	                   : loop_timer_start(l, &p->poll_t, p->poll_ms)) == -1 ||
	    loop_io_start(l, &p->out_io, EPOLLIN) == -1 ||
	    (timeout_ms > 0 && loop_timer_start(l, &p->timeout_t, timeout_ms) == -1))
		goto fail_child;
	log_debug("proc %d: started %s", (int)p->pid, argv[0]);
	return p;

fail_child:
	proc_cancel(p);
	return NULL;
fail:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	free(p);
	return NULL;
}

void
proc_cancel(struct proc *p)
{
	if (p == NULL)
		return;
	if (p->pid > 0) {
		if (kill(-p->pid, SIGKILL) == -1)
			(void)kill(p->pid, SIGKILL);
		if (p->l->running) {
			/* Reaped when the pidfd (or the poll) says it is gone, then freed: no
			 * waitpid that could hold the loop. Its output is of no use now. */
			p->cancelled = true;
			loop_io_stop(p->l, &p->out_io);
			loop_timer_stop(p->l, &p->timeout_t);
			loop_timer_stop(p->l, &p->grace_t);
			if (p->outfd >= 0)
				close(p->outfd);
			p->outfd = -1;
			/* Started before a pidfd or the poll was set up (proc_run failing). */
			if (p->pid_io.active || loop_timer_armed(&p->poll_t) ||
			    loop_timer_start(p->l, &p->poll_t, p->poll_ms) == 0)
				return;
			p->cancelled = false;
		}
		/* The loop is not running (shutdown): nothing to hold up, and SIGKILL cannot
		 * be caught, so this returns at once and leaves no zombie behind. */
		while (waitpid(p->pid, NULL, 0) == -1 && errno == EINTR)
			;
		p->pid = 0;
	}
	proc_close_fds(p);
	free(p);
}
