/* expect_abort.h - TEST_EXPECT_ABORT(what, statement): runs the statement in a child
 * process and passes when it aborts (a RISE_ASSERT argument check fired: rise_fatal calls
 * abort), fails when it returns. The child's stderr goes to /dev/null. Use it for the
 * argument rules of kernels/<op>.h; the statement must abort before any OpenMP region
 * (the checks come first), since a forked child should not start threads.
 * Include after test_util.h. */
#ifndef RISE_TESTS_EXPECT_ABORT_H
#define RISE_TESTS_EXPECT_ABORT_H

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define TEST_EXPECT_ABORT(what, statement)                                                         \
    do {                                                                                           \
        fflush(NULL);                                                                              \
        const pid_t expect_pid_ = fork();                                                          \
        if (expect_pid_ == 0) {                                                                    \
            if (!freopen("/dev/null", "w", stderr)) _exit(3);                                      \
            statement;                                                                             \
            _exit(0);                                                                              \
        }                                                                                          \
        int expect_status_ = 0;                                                                    \
        const int expect_waited_ =                                                                 \
            expect_pid_ > 0 && waitpid(expect_pid_, &expect_status_, 0) == expect_pid_;            \
        TEST_CHECK(expect_waited_ &&WIFSIGNALED(expect_status_) &&                                 \
                       WTERMSIG(expect_status_) == SIGABRT,                                        \
                   "%s: expected an abort (argument check), the call %s", what,                    \
                   expect_waited_ && WIFEXITED(expect_status_) ? "returned" : "ended otherwise");  \
    } while (0)

#endif
