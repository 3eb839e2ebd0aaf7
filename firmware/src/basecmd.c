/* The commands every Klipper MCU answers, and the memory behind oids. */
#include "basecmd.h"

#include <string.h>

#include "arch.h"
#include "command.h"
#include "sched.h"

struct oid_entry {
    void *type, *data;
};

static uint8_t *dyn_next, *dyn_end;
static struct oid_entry *oids;
static uint8_t oid_count, is_finalized;
/* The object the running config command allocated, registered only once
 * the command returns (oid_commit): a command that shuts down half way
 * (a bad pin, a bad flag) must not leave a half-built object that
 * shutdown handlers, a clear_shutdown and later commands would use. */
#define NO_OID 0xff
static uint8_t pending_oid;
static void *pending_type;
static uint32_t config_crc;

struct move_node {
    struct move_node *next;
};
static struct move_node *move_free_list;
static uint16_t move_item_size, move_count;

static void *dynmem_alloc(uint16_t size)
{
    size = (size + sizeof(void *) - 1) & ~(sizeof(void *) - 1);
    if (size > (uint16_t)(dyn_end - dyn_next))
        shutdown("alloc_chunk failed");
    void *p = dyn_next;
    dyn_next += size;
    memset(p, 0, size);
    return p;
}

void oid_commit(void)
{
    if (pending_oid == NO_OID)
        return;
    oids[pending_oid].type = pending_type;
    pending_oid = NO_OID;
}

void *oid_alloc(uint8_t oid, void *type, uint16_t size)
{
    oid_commit();
    if (is_finalized)
        shutdown("Already finalized");
    if (oid >= oid_count || oids[oid].type)
        shutdown("Can't assign oid");
    void *data = dynmem_alloc(size);
    oids[oid].data = data;
    pending_oid = oid;
    pending_type = type;
    return data;
}

/* A config command that shut down: its object is never registered (its
 * memory stays spent until the next reset). */
void basecmd_shutdown(void);
DECL_SHUTDOWN(basecmd_shutdown);
void basecmd_shutdown(void)
{
    pending_oid = NO_OID;
}

void *oid_lookup(uint8_t oid, void *type)
{
    if (oid >= oid_count || type != oids[oid].type)
        shutdown("Invalid oid type");
    return oids[oid].data;
}

void *oid_next(uint8_t *i, void *type)
{
    uint8_t pos = *i;
    for (;;) {
        pos++;
        if (pos >= oid_count)
            return NULL;
        if (oids[pos].type == type) {
            *i = pos;
            return oids[pos].data;
        }
    }
}

void move_request_size(uint16_t size)
{
    if (size > move_item_size)
        move_item_size = size;
}

void *move_alloc(void)
{
    irqstatus_t flag = irq_save();
    struct move_node *m = move_free_list;
    if (!m)
        shutdown("Move queue overflow");
    move_free_list = m->next;
    irq_restore(flag);
    return m;
}

void move_free(void *p)
{
    irqstatus_t flag = irq_save();
    struct move_node *m = p;
    m->next = move_free_list;
    move_free_list = m;
    irq_restore(flag);
}

uint8_t ctr_is_finalized(void)
{
    return is_finalized;
}

void command_allocate_oids(uint32_t *args);
DECL_COMMAND(command_allocate_oids, "allocate_oids count=%c");
void command_allocate_oids(uint32_t *args)
{
    if (oids)
        shutdown("oids already allocated");
    uint8_t count = args[0];
    oids = dynmem_alloc(count * sizeof(*oids));
    oid_count = count;
}

void command_get_config(uint32_t *args);
DECL_COMMAND_FLAGS(command_get_config, HF_IN_SHUTDOWN, "get_config");
void command_get_config(uint32_t *args)
{
    (void)args;
    sendf("config is_config=%c crc=%u is_shutdown=%c move_count=%hu", is_finalized, config_crc,
          sched_is_shutdown(), move_count);
}

void command_finalize_config(uint32_t *args);
DECL_COMMAND(command_finalize_config, "finalize_config crc=%u");
void command_finalize_config(uint32_t *args)
{
    oid_commit();
    if (!oids || is_finalized)
        shutdown("Can't finalize");
    /* Everything left becomes the move queue. */
    uint16_t size = (move_item_size + sizeof(void *) - 1) & ~(sizeof(void *) - 1);
    uint16_t count = (dyn_end - dyn_next) / size;
    struct move_node *list = NULL;
    for (uint16_t i = 0; i < count; i++) {
        struct move_node *m = dynmem_alloc(size);
        m->next = list;
        list = m;
    }
    move_free_list = list;
    move_count = count;
    config_crc = args[0];
    is_finalized = 1;
    command_get_config(args);
}

void command_identify(uint32_t *args);
DECL_COMMAND_FLAGS(command_identify, HF_IN_SHUTDOWN, "identify offset=%u count=%c");
void command_identify(uint32_t *args)
{
    uint32_t offset = args[0];
    uint8_t count = args[1];
    uint8_t buf[40];
    if (count > sizeof(buf))
        count = sizeof(buf);
    if (offset >= dict_data_size)
        count = 0;
    else if (count > dict_data_size - offset)
        count = dict_data_size - offset;
    arch_read_progmem(buf, &dict_data[offset], count);
    sendf("identify_response offset=%u data=%.*s", offset, count, buf);
}

void command_get_clock(uint32_t *args);
DECL_COMMAND_FLAGS(command_get_clock, HF_IN_SHUTDOWN, "get_clock");
void command_get_clock(uint32_t *args)
{
    (void)args;
    sendf("clock clock=%u", timer_read_time());
}

void command_get_uptime(uint32_t *args);
DECL_COMMAND_FLAGS(command_get_uptime, HF_IN_SHUTDOWN, "get_uptime");
void command_get_uptime(uint32_t *args)
{
    (void)args;
    uint32_t high = sched_uptime_high();
    sendf("uptime high=%u clock=%u", high, timer_read_time());
}

/* Main-loop statistics, reported every STATS_TICKS: iterations, total
 * ticks, and the sum of squares of each iteration's ticks (scaled down
 * by STATS_SUMSQ_BASE) so the host can judge how loaded the MCU is. */
#define STATS_SUMSQ_BASE 256
DECL_CONSTANT("STATS_SUMSQ_BASE", STATS_SUMSQ_BASE);
#define STATS_TICKS (5 * CONFIG_CLOCK_FREQ)

static uint32_t stats_send_time, stats_last, stats_count, stats_sum, stats_sumsq;

void stats_task(void);
DECL_TASK(stats_task);
void stats_task(void)
{
    uint32_t now = timer_read_time();
    uint32_t diff = now - stats_last;
    stats_last = now;
    stats_count++;
    stats_sum += diff;
    uint32_t nextsumsq;
    if (diff <= 0xffff) {
        nextsumsq = stats_sumsq + (diff * diff + STATS_SUMSQ_BASE - 1) / STATS_SUMSQ_BASE;
    } else if (diff <= 0xfffff) {
        nextsumsq = stats_sumsq + (diff + STATS_SUMSQ_BASE - 1) / STATS_SUMSQ_BASE * diff;
    } else {
        nextsumsq = 0xffffffff;
    }
    stats_sumsq = nextsumsq < stats_sumsq ? 0xffffffff : nextsumsq;
    if (timer_is_before(now, stats_send_time + STATS_TICKS))
        return;
    sendf("stats count=%u sum=%u sumsq=%u", stats_count, stats_sum, stats_sumsq);
    stats_send_time = now;
    stats_count = stats_sum = stats_sumsq = 0;
}

void basecmd_init(void);
DECL_INIT(basecmd_init);
void basecmd_init(void)
{
    void *start, *end;
    arch_dynmem(&start, &end);
    dyn_next = start;
    dyn_end = end;
    oids = NULL;
    oid_count = is_finalized = 0;
    pending_oid = NO_OID;
    config_crc = 0;
    move_free_list = NULL;
    move_item_size = sizeof(struct move_node);
    move_count = 0;
    stats_send_time = stats_last = timer_read_time();
    stats_count = stats_sum = stats_sumsq = 0;
}
