/* Message blocks in and out: framing, VLQ, CRC, dispatch, responses. */
#include "command.h"

#include <string.h>

#include "basecmd.h"
#include "sched.h"

DECL_CONSTANT("RECEIVE_WINDOW", CONFIG_RECEIVE_WINDOW);

/* Received bytes wait here until a whole block is in. The interrupt
 * handler appends; the command task consumes from the front. */
static uint8_t rx_buf[CONFIG_RECEIVE_WINDOW];
static volatile uint_fast8_t rx_pos;
/* Framed responses wait here for the transmit interrupt. */
static uint8_t tx_buf[CONFIG_TRANSMIT_BUFFER];
static volatile uint_fast8_t tx_head, tx_tail;

static uint8_t next_seq;
static struct task_wake command_wake;

uint8_t *command_vlq_encode(uint8_t *p, uint32_t v)
{
    int32_t sv = (int32_t)v;
    if (sv < (3L << 5) && sv >= -(1L << 5))
        goto f4;
    if (sv < (3L << 12) && sv >= -(1L << 12))
        goto f3;
    if (sv < (3L << 19) && sv >= -(1L << 19))
        goto f2;
    if (sv < (3L << 26) && sv >= -(1L << 26))
        goto f1;
    *p++ = (v >> 28) | 0x80;
f1:
    *p++ = ((v >> 21) & 0x7f) | 0x80;
f2:
    *p++ = ((v >> 14) & 0x7f) | 0x80;
f3:
    *p++ = ((v >> 7) & 0x7f) | 0x80;
f4:
    *p++ = v & 0x7f;
    return p;
}

int command_vlq_decode(const uint8_t **pp, const uint8_t *end, uint32_t *v)
{
    const uint8_t *p = *pp;
    if (p >= end)
        return 0;
    uint8_t c = *p++;
    uint32_t r = c & 0x7f;
    if ((c & 0x60) == 0x60)
        r |= (uint32_t)-0x20;
    while (c & 0x80) {
        if (p >= end)
            return 0;
        c = *p++;
        r = (r << 7) | (c & 0x7f);
    }
    *pp = p;
    *v = r;
    return 1;
}

uint16_t command_crc16(const uint8_t *buf, uint_fast8_t len)
{
    uint16_t crc = 0xffff;
    while (len--) {
        uint8_t d = *buf++;
        d ^= crc & 0xff;
        d ^= d << 4;
        crc = ((((uint16_t)d << 8) | (crc >> 8)) ^ (uint8_t)(d >> 4) ^ ((uint16_t)d << 3));
    }
    return crc;
}

/****************************************************************
 * Transmit
 ****************************************************************/

#define TX_MASK (sizeof(tx_buf) - 1)
_Static_assert((sizeof(tx_buf) & TX_MASK) == 0, "transmit buffer size must be a power of two");

static uint_fast8_t tx_space(void)
{
    return (tx_tail - tx_head - 1) & TX_MASK;
}

int serial_tx_next(uint8_t *b)
{
    if (tx_head == tx_tail)
        return -1;
    *b = tx_buf[tx_tail];
    tx_tail = (tx_tail + 1) & TX_MASK;
    return 0;
}

/* Queue one framed block; waits (letting interrupts drain the buffer)
 * when it does not fit yet. */
static void tx_block(const uint8_t *blk, uint_fast8_t len)
{
    for (;;) {
        irq_disable();
        if (tx_space() >= len)
            break;
        irq_enable();
        serial_kick_tx();
        irq_wait();
    }
    uint_fast8_t h = tx_head;
    while (len--) {
        tx_buf[h] = *blk++;
        h = (h + 1) & TX_MASK;
    }
    tx_head = h;
    irq_enable();
    serial_kick_tx();
}

static void frame_and_send(uint8_t *blk, uint_fast8_t content_len)
{
    uint_fast8_t len = content_len + MESSAGE_HEADER_SIZE + MESSAGE_TRAILER_SIZE;
    blk[0] = len;
    blk[1] = MESSAGE_DEST | next_seq;
    uint16_t crc = command_crc16(blk, len - MESSAGE_TRAILER_SIZE);
    blk[len - 3] = crc >> 8;
    blk[len - 2] = crc;
    blk[len - 1] = MESSAGE_SYNC;
    tx_block(blk, len);
}

void command_sendf(const struct command_encoder *ce_p, ...)
{
    struct command_encoder ce;
    arch_read_progmem(&ce, ce_p, sizeof(ce));
    uint8_t blk[MESSAGE_MAX];
    uint8_t *p = &blk[MESSAGE_HEADER_SIZE];
    uint8_t *limit = &blk[MESSAGE_MAX - MESSAGE_TRAILER_SIZE];
    p = command_vlq_encode(p, ce.msgid);
    va_list args;
    va_start(args, ce_p);
    for (uint_fast8_t i = 0; i < ce.num_params; i++) {
        uint_fast8_t t = ce.param_types[i];
        uint32_t v;
        switch (t) {
        case PT_uint32:
        case PT_int32:
            v = va_arg(args, uint32_t);
            break;
        case PT_uint16:
        case PT_int16:
        case PT_byte:
            v = (uint32_t)(int32_t)va_arg(args, int);
            if (t == PT_uint16)
                v &= 0xffff;
            else if (t == PT_byte)
                v &= 0xff;
            break;
        case PT_string: {
            const char *s = va_arg(args, const char *);
            uint8_t *lenp = p++;
            while (*s && p < limit)
                *p++ = *s++;
            *lenp = p - lenp - 1;
            continue;
        }
        default: { /* PT_buffer: length then pointer */
            uint_fast8_t n = va_arg(args, int);
            const uint8_t *s = va_arg(args, const uint8_t *);
            if (n > limit - p - 1)
                n = limit - p - 1;
            *p++ = n;
            memcpy(p, s, n);
            p += n;
            continue;
        }
        }
        if (p + 5 > limit)
            break;
        p = command_vlq_encode(p, v);
    }
    va_end(args);
    frame_and_send(blk, p - &blk[MESSAGE_HEADER_SIZE]);
}

static void send_ack(void)
{
    uint8_t blk[MESSAGE_MIN];
    frame_and_send(blk, 0);
}

/****************************************************************
 * Receive
 ****************************************************************/

void serial_rx_byte(uint_fast8_t b)
{
    uint_fast8_t pos = rx_pos;
    if (pos >= sizeof(rx_buf))
        return; /* overflow: the host's window was not respected; the
                   block fails its CRC and is retransmitted */
    rx_buf[pos] = b;
    rx_pos = pos + 1;
    if (b == MESSAGE_SYNC)
        sched_wake_task(&command_wake);
}

/* Drop the first n received bytes. */
static void rx_consume(uint_fast8_t n)
{
    irqstatus_t flag = irq_save();
    uint_fast8_t left = rx_pos - n;
    memmove(rx_buf, rx_buf + n, left);
    rx_pos = left;
    irq_restore(flag);
}

/* Length of the garbage before the next possible block start: through the
 * next sync byte, or everything if there is none yet. */
static uint_fast8_t rx_resync_len(uint_fast8_t avail)
{
    for (uint_fast8_t i = 0; i < avail; i++)
        if (rx_buf[i] == MESSAGE_SYNC)
            return i + 1;
    return avail;
}

/* Buffer parameters are passed as offsets into the block being run, so
 * that args stay 32-bit on 64-bit hosts too. */
static const uint8_t *command_content;

const uint8_t *command_arg_buffer(uint32_t offset)
{
    return command_content + offset;
}

void command_dispatch(const uint8_t *p, uint_fast8_t len)
{
    command_content = p;
    const uint8_t *end = p + len;
    while (p < end) {
        uint32_t msgid;
        if (!command_vlq_decode(&p, end, &msgid))
            shutdown("Command parser error");
        uint32_t index = msgid - dict_command_first;
        if (msgid < dict_command_first || index >= dict_command_count)
            shutdown("Invalid command");
        struct command_parser cp;
        arch_read_progmem(&cp, &dict_commands[index], sizeof(cp));
        uint32_t args[16];
        uint32_t *a = args;
        for (uint_fast8_t i = 0; i < cp.num_params; i++) {
            uint32_t v;
            if (!command_vlq_decode(&p, end, &v))
                shutdown("Command parser error");
            switch (cp.param_types[i]) {
            case PT_string:
            case PT_buffer:
                if (v > (uint32_t)(end - p))
                    shutdown("Command parser error");
                *a++ = v;
                *a++ = p - command_content;
                p += v;
                continue;
            case PT_byte:
                v &= 0xff;
                break;
            case PT_uint16:
            case PT_int16:
                v &= 0xffff;
                break;
            }
            *a++ = v;
        }
        if (sched_is_shutdown() && !(cp.flags & HF_IN_SHUTDOWN)) {
            sendf("is_shutdown static_string_id=%hu", sched_shutdown_reason());
            continue;
        }
        cp.func(args);
        oid_commit();
    }
}

/* Find, check and run the next complete block. Returns 1 if it consumed
 * anything (so the caller should look again). */
static int process_one_block(void)
{
    uint_fast8_t avail = rx_pos;
    if (!avail)
        return 0;
    if (rx_buf[0] == MESSAGE_SYNC) {
        rx_consume(1);
        return 1;
    }
    uint_fast8_t len = rx_buf[0];
    if (len < MESSAGE_MIN || len > MESSAGE_MAX)
        goto bad;
    if (avail < len)
        return 0; /* a corrupt length shows up as a bad CRC once the
                     retransmissions have filled it */
    uint8_t seq = rx_buf[1];
    if (rx_buf[len - 1] != MESSAGE_SYNC || (seq & ~MESSAGE_SEQ_MASK) != MESSAGE_DEST)
        goto bad;
    uint16_t crc = command_crc16(rx_buf, len - MESSAGE_TRAILER_SIZE);
    if (rx_buf[len - 3] != (uint8_t)(crc >> 8) || rx_buf[len - 2] != (uint8_t)crc)
        goto bad;
    if ((seq & MESSAGE_SEQ_MASK) != next_seq) {
        /* Duplicate or out of order: drop it and repeat what we expect,
         * which the host reads as a nak. */
        rx_consume(len);
        send_ack();
        return 1;
    }
    next_seq = (next_seq + 1) & MESSAGE_SEQ_MASK;
    send_ack();
    /* Copy out so that the interrupt may keep appending meanwhile. */
    uint8_t content[MESSAGE_MAX];
    uint_fast8_t clen = len - MESSAGE_MIN;
    memcpy(content, &rx_buf[MESSAGE_HEADER_SIZE], clen);
    rx_consume(len);
    command_dispatch(content, clen);
    return 1;
bad:
    rx_consume(rx_resync_len(avail));
    send_ack();
    return 1;
}

void command_task(void);
DECL_TASK(command_task);
void command_task(void)
{
    if (!sched_check_wake(&command_wake))
        return;
    while (process_one_block())
        ;
}

/* Blocks may still be waiting behind the one whose command shut the MCU
 * down; look at them again once the main loop runs. */
void command_shutdown(void);
DECL_SHUTDOWN(command_shutdown);
void command_shutdown(void)
{
    sched_wake_task(&command_wake);
}

void command_init(void);
DECL_INIT(command_init);
void command_init(void)
{
    rx_pos = 0;
    tx_head = tx_tail = 0;
    next_seq = 0;
    command_wake.wake = 0;
}
