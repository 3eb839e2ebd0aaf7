/* lockstep sim: a simulated atmega2560 running in real time behind a
 * pseudo-terminal, so that a host program (Klipper's, or lockstep console)
 * can open it like the serial port of a real board.
 *
 * This is the one place a wall clock paces the simulation: each turn of
 * the loop runs the MCU up to the cycle that corresponds to the time
 * elapsed on CLOCK_MONOTONIC since the start. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "sim_mcu.h"

/* From the simavr backend (sim/avr/avr_backend.c): the ELF that "avr"
 * means. Not in sim_mcu.h yet. */
const char *sim_avr_default_elf(void);

/* Longest stretch simulated between two looks at the pty, so that bytes
 * from the host are taken in promptly even after the process stalled. */
#define MAX_STEP_NS 2000000LL
/* How often the loop wakes when nothing happens. */
#define TICK_NS 1000000LL
/* MCU output kept while nobody reads the pty; beyond this it is dropped,
 * as it would be on a real serial line with nobody listening. */
#define OUT_LIMIT (256 * 1024)

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: lockstep sim [--firmware FILE.elf] --pty PATH\n"
            "\n"
            "Run a simulated atmega2560 (16 MHz, simavr) in real time and connect its\n"
            "USART0 to a new pseudo-terminal, reachable through the symlink PATH.\n"
            "A host opens PATH like a board's serial port (any baud setting works:\n"
            "bytes cross at the firmware's own baud rate, 250000 by default).\n"
            "\n"
            "Options:\n"
            "  --firmware FILE.elf  atmega2560 program to run (default: the project's\n"
            "                       firmware, %s)\n"
            "  --pty PATH           where to create the symlink to the pseudo-terminal;\n"
            "                       a stale symlink there is replaced, any other file is\n"
            "                       left alone and the command fails\n"
            "  -h, --help           show this help\n"
            "\n"
            "Stops on Ctrl-C (SIGINT) or SIGTERM, removing the symlink.\n",
            sim_avr_default_elf());
}

struct outbuf {
    uint8_t *data;
    size_t len, cap;
    unsigned long dropped;
};

static void collect_output(void *ctx, uint64_t cycle, uint8_t byte)
{
    (void)cycle;
    struct outbuf *o = ctx;
    if (o->len >= OUT_LIMIT) {
        o->dropped++;
        return;
    }
    if (o->len == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 4096;
        uint8_t *d = realloc(o->data, cap);
        if (!d) {
            o->dropped++;
            return;
        }
        o->data = d;
        o->cap = cap;
    }
    o->data[o->len++] = byte;
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Opens a pty pair in raw mode. The slave stays open here too, so that a
 * host closing and reopening the port does not hang up the master. */
static int open_pty(int *master, int *slave, char *name, size_t namelen)
{
    int mfd = posix_openpt(O_RDWR | O_NOCTTY);
    if (mfd < 0)
        return -1;
    if (grantpt(mfd) || unlockpt(mfd) || ptsname_r(mfd, name, namelen)) {
        int e = errno;
        close(mfd);
        errno = e;
        return -1;
    }
    int sfd = open(name, O_RDWR | O_NOCTTY);
    if (sfd < 0) {
        int e = errno;
        close(mfd);
        errno = e;
        return -1;
    }
    struct termios tio;
    if (tcgetattr(sfd, &tio) == 0) {
        cfmakeraw(&tio);
        cfsetispeed(&tio, B230400);
        cfsetospeed(&tio, B230400);
        tcsetattr(sfd, TCSANOW, &tio);
    }
    int fl = fcntl(mfd, F_GETFL);
    fcntl(mfd, F_SETFL, fl | O_NONBLOCK);
    *master = mfd;
    *slave = sfd;
    return 0;
}

/* Replaces a symlink (stale or not) at path; refuses anything else. */
static int make_link(const char *target, const char *path)
{
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISLNK(st.st_mode)) {
            fprintf(stderr,
                    "lockstep sim: refusing to replace '%s': it exists and is not a symlink\n",
                    path);
            return -1;
        }
        if (unlink(path)) {
            fprintf(stderr, "lockstep sim: cannot remove the old symlink '%s': %s\n", path,
                    strerror(errno));
            return -1;
        }
    } else if (errno != ENOENT) {
        fprintf(stderr, "lockstep sim: cannot use '%s': %s\n", path, strerror(errno));
        return -1;
    }
    if (symlink(target, path)) {
        fprintf(stderr, "lockstep sim: cannot create the symlink '%s': %s\n", path,
                strerror(errno));
        return -1;
    }
    return 0;
}

/* Removes the symlink only if it still leads to our pty. */
static void remove_link(const char *target, const char *path)
{
    char buf[PATH_MAX];
    ssize_t n = readlink(path, buf, sizeof(buf) - 1);
    if (n < 0)
        return;
    buf[n] = 0;
    if (!strcmp(buf, target))
        unlink(path);
}

static int parse_args(int argc, char **argv, const char **firmware, const char **pty)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **dst = NULL;
        const char *opt = NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 1;
        }
        if (!strncmp(a, "--firmware", 10) && (a[10] == 0 || a[10] == '=')) {
            dst = firmware;
            opt = "--firmware";
        } else if (!strncmp(a, "--pty", 5) && (a[5] == 0 || a[5] == '=')) {
            dst = pty;
            opt = "--pty";
        } else {
            fprintf(stderr, "lockstep sim: unknown %s '%s'\n", a[0] == '-' ? "option" : "argument",
                    a);
            fprintf(stderr, "Run 'lockstep sim --help' for usage.\n");
            return -1;
        }
        const char *eq = strchr(a, '=');
        const char *val = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!val || !*val) {
            fprintf(stderr, "lockstep sim: %s needs a value\n", opt);
            fprintf(stderr, "Run 'lockstep sim --help' for usage.\n");
            return -1;
        }
        if (*dst) {
            fprintf(stderr, "lockstep sim: %s given twice\n", opt);
            return -1;
        }
        *dst = val;
    }
    if (!*pty) {
        fprintf(stderr, "lockstep sim: --pty PATH is required\n");
        fprintf(stderr, "Run 'lockstep sim --help' for usage.\n");
        return -1;
    }
    return 0;
}

static int flush_output(int fd, struct outbuf *o)
{
    size_t done = 0;
    while (done < o->len) {
        ssize_t n = write(fd, o->data + done, o->len - done);
        if (n > 0) {
            done += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EIO)
            return -1;
        break;
    }
    memmove(o->data, o->data + done, o->len - done);
    o->len -= done;
    return 0;
}

int cmd_sim(int argc, char **argv)
{
    const char *firmware = NULL, *pty_path = NULL;
    int rc = parse_args(argc, argv, &firmware, &pty_path);
    if (rc)
        return rc > 0 ? 0 : 2;

    char spec[PATH_MAX + 8], err[256];
    if (firmware)
        snprintf(spec, sizeof(spec), "avr=%s", firmware);
    else
        snprintf(spec, sizeof(spec), "avr");
    struct sim_mcu *m = sim_mcu_create(spec, err, sizeof(err));
    if (!m) {
        fprintf(stderr, "lockstep sim: %s\n", err);
        return 1;
    }

    int master = -1, slave = -1;
    char slave_name[128];
    if (open_pty(&master, &slave, slave_name, sizeof(slave_name))) {
        fprintf(stderr, "lockstep sim: cannot create a pseudo-terminal: %s\n", strerror(errno));
        sim_mcu_destroy(m);
        return 1;
    }
    if (make_link(slave_name, pty_path)) {
        close(slave);
        close(master);
        sim_mcu_destroy(m);
        return 1;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct outbuf out = {0};
    sim_mcu_set_uart_rx(m, collect_output, &out);

    printf("lockstep sim: atmega2560 running %s; serial port at %s (%s)\n",
           firmware ? firmware : "the project firmware", pty_path, slave_name);
    fflush(stdout);

    const uint64_t freq = sim_mcu_freq(m);
    int64_t start = mono_ns();
    uint64_t base_cycle = 0;
    rc = 0;
    while (!stop_signal) {
        uint8_t buf[512];
        for (;;) {
            ssize_t n = read(master, buf, sizeof(buf));
            if (n > 0) {
                sim_mcu_uart_send(m, buf, (size_t)n);
                continue;
            }
            /* EAGAIN: nothing to read; EIO: no host has the port open. */
            break;
        }

        int64_t elapsed = mono_ns() - start;
        uint64_t want = base_cycle + (uint64_t)((__int128)elapsed * freq / 1000000000LL);
        uint64_t now = sim_mcu_cycle(m);
        uint64_t max_step = freq * MAX_STEP_NS / 1000000000LL;
        if (want > now + max_step) {
            /* Behind (the process was stopped, or the machine is slow):
             * move on from here rather than racing to catch up. */
            start = mono_ns();
            base_cycle = now + max_step;
            want = base_cycle;
        }
        if (want > now && sim_mcu_run_until(m, want)) {
            fprintf(stderr, "lockstep sim: %s\n", sim_mcu_error(m));
            rc = 1;
            break;
        }
        if (out.len && flush_output(master, &out)) {
            fprintf(stderr, "lockstep sim: writing to the pty failed: %s\n", strerror(errno));
            rc = 1;
            break;
        }

        struct pollfd pfd = {.fd = master, .events = POLLIN | (out.len ? POLLOUT : 0)};
        int64_t next = (int64_t)(sim_mcu_cycle(m) - base_cycle) * 1000000000LL / (int64_t)freq;
        int64_t wait_ns = next - (mono_ns() - start);
        if (wait_ns < 0)
            wait_ns = 0;
        if (wait_ns > TICK_NS)
            wait_ns = TICK_NS;
        struct timespec ts = {0, (long)wait_ns};
        /* With no host attached the master reports POLLHUP continuously;
         * then just sleep for the tick. */
        if (ppoll(&pfd, 1, &ts, NULL) > 0 && (pfd.revents & (POLLHUP | POLLERR)) &&
            !(pfd.revents & POLLIN))
            nanosleep(&ts, NULL);
    }
    if (stop_signal)
        printf("lockstep sim: stopped at cycle %llu\n", (unsigned long long)sim_mcu_cycle(m));
    if (out.dropped)
        fprintf(stderr, "lockstep sim: %lu bytes from the MCU were dropped (nobody reading)\n",
                out.dropped);
    remove_link(slave_name, pty_path);
    close(slave);
    close(master);
    free(out.data);
    sim_mcu_destroy(m);
    return rc;
}
