/* Private to the simavr backend (sim/avr/) and its tests: the backend's
 * state, the seams between its files, and switches the tests use to show
 * that each correction of simavr 1.6 matters. */
#ifndef LOCKSTEP_SIM_AVR_INTERNAL_H
#define LOCKSTEP_SIM_AVR_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <avr_adc.h>
#include <avr_ioport.h>
#include <avr_timer.h>
#include <avr_uart.h>
#include <sim_avr.h>

#include "sim_backend.h"

/* Corrections of simavr 1.6 that sim_avr_set_fixes() can turn off. */
enum {
    /* One instruction, not two, runs after SEI/RETI before an interrupt. */
    SIM_AVR_FIX_SEI_DELAY = 1u << 0,
    /* Writing TIFRn clears only the flags written as one. */
    SIM_AVR_FIX_TIFR_CLEAR = 1u << 1,
    /* Interrupt entry takes 5 cycles (10 when waking from sleep). */
    SIM_AVR_FIX_IRQ_CYCLES = 1u << 2,
    /* A compare match due within a few cycles of an overflow still fires. */
    SIM_AVR_FIX_COMPARE_AFTER_OVERFLOW = 1u << 3,
    SIM_AVR_FIX_ALL = 0xf,
};

#define LSAVR_NPORTS 12 /* A..L; the atmega2560 has no port I */
#define LSAVR_NTIMERS 6
#define LSAVR_RXQ_SIZE 256

struct lsavr_port {
    avr_ioport_t *io; /* NULL for a letter the chip lacks */
    avr_irq_t *reg_port_irq, *ddr_irq;
    uint8_t out_level;   /* DDR & PORT as last reported */
    uint8_t driven_mask; /* inputs driven from outside by set_input */
    uint8_t driven_val;
};

/* A register write handler of simavr's that a correction wraps. */
struct lsavr_write_hook {
    avr_io_write_t stock;
    void *stock_param;
    struct lsavr_tifr *timer;
};
#define LSAVR_TIMER_HOOKS 8

struct lsavr_tifr {
    avr_timer_t *timer;
    avr_cycle_count_t last_tov; /* overflow last seen by the compare fix */
    struct lsavr_write_hook hooks[LSAVR_TIMER_HOOKS];
    int nhooks;
    avr_io_write_t stock_write;
    void *stock_param;
};

struct lsavr_uart {
    avr_uart_t *io;
    /* simavr's own register handlers, called by the wrappers. */
    avr_io_write_t stock_ucsra_w, stock_ucsrb_w, stock_ubrrl_w;
    void *stock_ucsra_p, *stock_ucsrb_p, *stock_ubrrl_p;
    int ubrr_written;
    /* Transmitter: a shift register and the one-byte UDR buffer ahead of it. */
    int shift_busy, buf_full;
    uint8_t shift_byte, buf_byte;
    uint64_t shift_end; /* cycle at which the shifting byte's stop bit ends */
    /* Receiver: bytes whose stop bit has ended, not yet read from UDR0. */
    uint8_t rxq[LSAVR_RXQ_SIZE];
    unsigned rx_head, rx_len;
    uint8_t last_udr;
    unsigned long rx_overruns;
    /* Transmitted bytes not yet handed to the host. */
    struct lsavr_out {
        uint64_t cycle;
        uint8_t byte;
    } * outq;
    unsigned out_len, out_cap;
};

struct lsavr_adc {
    avr_adc_t *io;
    avr_io_read_t stock_l, stock_h;
    void *stock_lp, *stock_hp;
    uint32_t mv[16]; /* voltage on ADC0..ADC15 */
};

struct lsavr {
    uint32_t magic;
    struct sim_mcu *m;
    avr_t *avr;
    avr_run_t stock_run; /* to notice simavr's watchdog-reset hook */
    unsigned fixes;
    int asleep;           /* the CPU executed SLEEP and no interrupt has woken it yet */
    uint64_t reset_cycle; /* the last reset; 0 at power-on */
    char fault[200];
    struct lsavr_port ports[LSAVR_NPORTS];
    struct lsavr_tifr tifr[LSAVR_NTIMERS];
    int ntifr;
    struct lsavr_uart uart;
    struct lsavr_adc adc;
};

#define LSAVR_MAGIC 0x4c534156u

/* avr_elf.c: load an ELF's flash and EEPROM images into avr. */
int lsavr_load_elf(avr_t *avr, const char *path, char *err, size_t errlen);

/* avr_tifr.c */
int lsavr_tifr_install(struct lsavr *b, char *err, size_t errlen);
void lsavr_timers_after_process(struct lsavr *b);

/* avr_pins.c */
int lsavr_pins_install(struct lsavr *b, char *err, size_t errlen);
int lsavr_adc_install(struct lsavr *b, char *err, size_t errlen);
void lsavr_pins_after_reset(struct lsavr *b);
void lsavr_set_input(struct sim_mcu *m, unsigned pin, int level);
void lsavr_set_analog_mv(struct sim_mcu *m, unsigned pin, uint32_t mv);

/* avr_uart0.c */
int lsavr_uart_install(struct lsavr *b, char *err, size_t errlen);
void lsavr_uart_after_reset(struct lsavr *b);
void lsavr_uart_deliver(struct sim_mcu *m, uint8_t byte);
void lsavr_uart_flush_output(struct lsavr *b);

/* The firmware "avr" means (the project's, built with it). */
const char *sim_avr_default_elf(void);

/* Test hooks. */
void sim_avr_set_fixes(struct sim_mcu *m, unsigned fixes);
unsigned sim_avr_fixes(const struct sim_mcu *m);
/* A byte of the data space (registers, I/O, SRAM), as the CPU would see
 * it without side effects. */
uint8_t sim_avr_peek(const struct sim_mcu *m, uint16_t addr);
/* Bytes that arrived while three were already waiting unread: a real
 * USART would have lost them (data overrun); the simulation keeps them. */
unsigned long sim_avr_rx_overruns(const struct sim_mcu *m);

#endif
