#include "transport_serial.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <libserialport.h>

/* libserialport finds ports through sysfs, where a pseudo-terminal has no
 * entry, so a pty (the firmware's native build, `lockstep sim`, socat)
 * is driven through its file descriptor instead. */
struct serial_transport {
    struct link_transport base;
    struct sp_port *port; /* NULL when fd is used */
    int fd;
    struct timespec start;
};

/* Monotonic, from the moment the port opened: the serial queue only
 * needs differences, and small numbers read better in logs. */
static uint64_t serial_now(struct link_transport *t)
{
    struct serial_transport *s = (struct serial_transport *)t;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t sec = (int64_t)ts.tv_sec - (int64_t)s->start.tv_sec;
    int64_t nsec = (int64_t)ts.tv_nsec - (int64_t)s->start.tv_nsec;
    return (uint64_t)(sec * (int64_t)LINK_NS_PER_SEC + nsec);
}

static void set_sp_error(struct link_transport *t, const char *what)
{
    char *msg = sp_last_error_message();
    snprintf(t->error, sizeof(t->error), "%s: %s", what, msg ? msg : "error");
    if (msg)
        sp_free_error_message(msg);
}

static int fd_write(struct serial_transport *s, const uint8_t *data, size_t len)
{
    while (len) {
        ssize_t n = write(s->fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            struct pollfd p = {.fd = s->fd, .events = POLLOUT};
            if (poll(&p, 1, 1000) <= 0) {
                snprintf(s->base.error, sizeof(s->base.error), "serial write: timed out");
                return -1;
            }
            continue;
        }
        if (n <= 0) {
            snprintf(s->base.error, sizeof(s->base.error), "serial write: %s", strerror(errno));
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

static int fd_poll(struct serial_transport *s, uint64_t deadline_ns, link_rx_fn fn, void *ctx)
{
    uint64_t now = serial_now(&s->base);
    int ms = 0;
    if (deadline_ns > now) {
        uint64_t w = (deadline_ns - now + 999999) / 1000000;
        ms = w > 60000 ? 60000 : (int)w;
    }
    struct pollfd p = {.fd = s->fd, .events = POLLIN};
    int r = poll(&p, 1, ms);
    if (r < 0 && errno != EINTR) {
        snprintf(s->base.error, sizeof(s->base.error), "serial poll: %s", strerror(errno));
        return -1;
    }
    if (r <= 0)
        return 0;
    uint8_t buf[256];
    ssize_t n = read(s->fd, buf, sizeof(buf));
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    if (n <= 0) {
        /* EIO is how a pty reports that the other end went away. */
        snprintf(s->base.error, sizeof(s->base.error), "serial read: %s",
                 n == 0 ? "end of file" : strerror(errno));
        return -1;
    }
    fn(ctx, buf, (size_t)n, serial_now(&s->base));
    return (int)n;
}

static int serial_write(struct link_transport *t, const uint8_t *data, size_t len)
{
    struct serial_transport *s = (struct serial_transport *)t;
    if (!s->port)
        return fd_write(s, data, len);
    while (len) {
        enum sp_return n = sp_blocking_write(s->port, data, len, 1000);
        if (n < 0) {
            set_sp_error(t, "serial write");
            return -1;
        }
        if (n == 0) {
            snprintf(t->error, sizeof(t->error), "serial write: timed out");
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

static int serial_poll(struct link_transport *t, uint64_t deadline_ns, link_rx_fn fn, void *ctx)
{
    struct serial_transport *s = (struct serial_transport *)t;
    if (!s->port)
        return fd_poll(s, deadline_ns, fn, ctx);
    uint8_t buf[256];
    uint64_t now = serial_now(t);
    enum sp_return n;
    if (deadline_ns <= now) {
        n = sp_nonblocking_read(s->port, buf, sizeof(buf));
    } else {
        /* Rounded up: a timeout of 0 would mean "forever" to libserialport. */
        uint64_t ms = (deadline_ns - now + 999999) / 1000000;
        n = sp_blocking_read_next(s->port, buf, sizeof(buf), ms > 60000 ? 60000u : (unsigned)ms);
    }
    if (n < 0) {
        set_sp_error(t, "serial read");
        return -1;
    }
    if (n > 0)
        fn(ctx, buf, (size_t)n, serial_now(t));
    return (int)n;
}

static void serial_close(struct link_transport *t)
{
    struct serial_transport *s = (struct serial_transport *)t;
    if (s->port) {
        sp_close(s->port);
        sp_free_port(s->port);
    } else {
        close(s->fd);
    }
    free(s);
}

/* Klipper's restart_method arduino: DTR low then high pulses the reset
 * line through the board's capacitor. */
static int serial_reset_mcu(struct link_transport *t)
{
    struct serial_transport *s = (struct serial_transport *)t;
    if (!s->port) {
        snprintf(t->error, sizeof(t->error), "a pty has no DTR line to reset the MCU with");
        return -1;
    }
    if (sp_set_dtr(s->port, SP_DTR_OFF) != SP_OK) {
        set_sp_error(t, "DTR off");
        return -1;
    }
    struct timespec pulse = {0, 100000000};
    nanosleep(&pulse, NULL);
    if (sp_set_dtr(s->port, SP_DTR_ON) != SP_OK) {
        set_sp_error(t, "DTR on");
        return -1;
    }
    return 0;
}

static const struct link_transport_ops serial_ops = {
    .write = serial_write,
    .poll = serial_poll,
    .now = serial_now,
    .close = serial_close,
    .reset_mcu = serial_reset_mcu,
};

static struct serial_transport *new_transport(uint32_t baud)
{
    struct serial_transport *s = calloc(1, sizeof(*s));
    if (!s)
        abort();
    s->base.ops = &serial_ops;
    s->base.kind = "serial";
    s->base.baud = baud;
    s->fd = -1;
    clock_gettime(CLOCK_MONOTONIC, &s->start);
    return s;
}

static speed_t termios_speed(uint32_t baud)
{
    switch (baud) {
    case 9600:
        return B9600;
    case 19200:
        return B19200;
    case 38400:
        return B38400;
    case 57600:
        return B57600;
    case 115200:
        return B115200;
    case 230400:
        return B230400;
    case 460800:
        return B460800;
    case 500000:
        return B500000;
    case 1000000:
        return B1000000;
    default:
        return B0; /* 250000 has no constant; a pty ignores speed anyway */
    }
}

static struct link_transport *open_tty_fd(const char *path, uint32_t baud, char *err, size_t errlen)
{
    int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct termios tio;
    if (!isatty(fd) || tcgetattr(fd, &tio)) {
        snprintf(err, errlen, "%s: not a serial port or terminal", path);
        close(fd);
        return NULL;
    }
    cfmakeraw(&tio);
    tio.c_cflag |= CLOCAL | CREAD;
    tio.c_cflag &= ~(tcflag_t)CRTSCTS;
    speed_t sp = termios_speed(baud);
    if (sp != B0) {
        cfsetispeed(&tio, sp);
        cfsetospeed(&tio, sp);
    }
    if (tcsetattr(fd, TCSANOW, &tio)) {
        snprintf(err, errlen, "%s: cannot set raw mode: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    struct serial_transport *s = new_transport(baud);
    s->fd = fd;
    return &s->base;
}

struct link_transport *link_serial_open(const char *path, uint32_t baud, char *err, size_t errlen)
{
    struct sp_port *port;
    if (sp_get_port_by_name(path, &port) != SP_OK) {
        /* Not a port libserialport can see (a pty, or a symlink to one):
         * try it as a plain terminal device. */
        return open_tty_fd(path, baud, err, errlen);
    }
    if (sp_open(port, SP_MODE_READ_WRITE) != SP_OK) {
        char *msg = sp_last_error_message();
        snprintf(err, errlen, "%s: cannot open: %s", path, msg ? msg : "error");
        if (msg)
            sp_free_error_message(msg);
        sp_free_port(port);
        return NULL;
    }
    if (sp_set_baudrate(port, (int)baud) != SP_OK || sp_set_bits(port, 8) != SP_OK ||
        sp_set_parity(port, SP_PARITY_NONE) != SP_OK || sp_set_stopbits(port, 1) != SP_OK ||
        sp_set_flowcontrol(port, SP_FLOWCONTROL_NONE) != SP_OK) {
        char *msg = sp_last_error_message();
        snprintf(err, errlen, "%s: cannot configure %u 8N1: %s", path, baud, msg ? msg : "error");
        if (msg)
            sp_free_error_message(msg);
        sp_close(port);
        sp_free_port(port);
        return NULL;
    }
    struct serial_transport *s = new_transport(baud);
    s->port = port;
    return &s->base;
}
