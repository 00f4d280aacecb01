// no-io-uring COMMAND [ARGS...]: runs COMMAND with io_uring refused the way Docker's default seccomp profile
// (Docker 25+, moby PR #46762) refuses it: io_uring_setup, io_uring_enter and io_uring_register fail with EPERM,
// every other system call is allowed. The end-to-end tests start uring-serve and `python -m uring_granian` under
// it to prove the epoll fallback on machines where io_uring itself works.
//
// Exit status: COMMAND's own once it runs; 2 for a usage error; 77 when this kernel cannot install a seccomp
// filter at all (the tests skip on it, as liburing's T_EXIT_SKIP); 126/127 when COMMAND cannot be executed or
// found (as env(1) does); 1 for any other failure to set the filter up.

#include <errno.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum {
    EXIT_SETUP_FAILED = 1,
    EXIT_USAGE = 2,
    EXIT_SECCOMP_UNAVAILABLE = 77,
    EXIT_CANNOT_EXECUTE = 126,
    EXIT_NOT_FOUND = 127,
};

static int fail(int status, const char *what, int error) {
    fprintf(stderr, "no-io-uring: %s: %s\n", what, strerror(error));
    return status;
}

int main(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fprintf(argc < 2 ? stderr : stdout,
                "usage: no-io-uring COMMAND [ARGS...]\n"
                "Runs COMMAND with io_uring_setup, io_uring_enter and io_uring_register failing with EPERM\n"
                "(Docker's default seccomp profile); every other system call is allowed.\n");
        return argc < 2 ? EXIT_USAGE : 0;
    }

    // Allow by default: only io_uring is refused, so anything else that fails under the launcher fails for its
    // own reasons. libseccomp also sets no_new_privs, which lets an unprivileged user load the filter.
    scmp_filter_ctx filter = seccomp_init(SCMP_ACT_ALLOW);
    if (filter == NULL) {
        fputs("no-io-uring: seccomp_init failed (libseccomp does not know this architecture?)\n", stderr);
        return EXIT_SETUP_FAILED;
    }

    // Report the kernel's own errno from seccomp_load (libseccomp otherwise folds every kernel refusal into
    // ECANCELED), so that "this kernel has no seccomp filters" (EINVAL) can be told from real failures.
    int rc = seccomp_attr_set(filter, SCMP_FLTATR_API_SYSRAWRC, 1);
    if (rc < 0) {
        seccomp_release(filter);
        return fail(EXIT_SETUP_FAILED, "seccomp_attr_set(SCMP_FLTATR_API_SYSRAWRC)", -rc);
    }

    // Docker's profile covers the 32-bit ABIs of an x86-64 host too (its archMap); a filter with the native
    // architecture only would kill any i386 or x32 system call instead of allowing it.
    if (seccomp_arch_native() == SCMP_ARCH_X86_64) {
        const uint32_t compat[] = {SCMP_ARCH_X86, SCMP_ARCH_X32};
        for (size_t i = 0; i < sizeof compat / sizeof compat[0]; ++i) {
            rc = seccomp_arch_add(filter, compat[i]);
            if (rc < 0 && rc != -EEXIST) {
                seccomp_release(filter);
                return fail(EXIT_SETUP_FAILED, "seccomp_arch_add", -rc);
            }
        }
    }

    // EPERM, not ENOSYS: that is what Docker answers (its defaultErrnoRet), and what the engine's probe has to
    // report as the reason for its epoll fallback.
    const int refused[] = {SCMP_SYS(io_uring_setup), SCMP_SYS(io_uring_enter), SCMP_SYS(io_uring_register)};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; ++i) {
        rc = seccomp_rule_add(filter, SCMP_ACT_ERRNO(EPERM), refused[i], 0);
        if (rc < 0) {
            seccomp_release(filter);
            return fail(EXIT_SETUP_FAILED, "seccomp_rule_add", -rc);
        }
    }

    rc = seccomp_load(filter);
    seccomp_release(filter);
    if (rc == -EINVAL || rc == -ENOSYS) {
        // A kernel built without CONFIG_SECCOMP_FILTER: nothing to test here, and not a bug of the caller.
        return fail(EXIT_SECCOMP_UNAVAILABLE, "seccomp unavailable on this kernel (seccomp_load)", -rc);
    }
    if (rc < 0) return fail(EXIT_SETUP_FAILED, "seccomp_load", -rc);

    execvp(argv[1], argv + 1);
    return fail(errno == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXECUTE, argv[1], errno);
}
