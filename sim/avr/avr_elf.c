/* Loading an atmega2560 ELF into a simavr core.
 *
 * simavr's own elf_read_firmware() concatenates .text and .data, prints to
 * stderr, never frees what it allocates and does not look at the target
 * architecture. Placing each loadable segment at its physical (load)
 * address is what a programmer does with the same file, and it lets us
 * say clearly why a file is unsuitable. */
#include "avr_internal.h"

#include <avr_eeprom.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EM_AVR_MACHINE 83
#define EF_AVR_MACH_MASK 0x7f
#define AVR6_ARCH 6 /* 3-byte PC cores: atmega2560/2561 */
#define PT_LOAD_TYPE 1
/* avr-gcc's linker scripts place these memories at fixed offsets in the
 * ELF physical address space. */
#define AVR_EEPROM_BASE 0x810000u
#define AVR_FUSE_BASE 0x820000u

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static const char *arch_name(unsigned arch)
{
    switch (arch) {
    case 1:
        return "avr1 (e.g. attiny11)";
    case 2:
        return "avr2 (e.g. attiny22)";
    case 25:
        return "avr25 (e.g. attiny85)";
    case 3:
        return "avr3 (e.g. atmega103)";
    case 31:
        return "avr31 (e.g. atmega103)";
    case 35:
        return "avr35 (e.g. atmega16u2)";
    case 4:
        return "avr4 (e.g. atmega8)";
    case 5:
        return "avr5 (e.g. atmega328p or atmega644)";
    case 51:
        return "avr51 (e.g. atmega1280 or atmega1284p)";
    case 100:
        return "avrtiny (e.g. attiny10)";
    default:
        if (arch >= 101 && arch <= 107)
            return "an xmega architecture";
        return "an unknown AVR architecture";
    }
}

static int read_file(const char *path, uint8_t **out, size_t *outlen, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open firmware '%s': %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (len < cap)
            break;
        if (cap >= (64u << 20)) {
            snprintf(err, errlen, "firmware '%s' is too large to be an atmega2560 program", path);
            free(buf);
            fclose(f);
            return -1;
        }
        uint8_t *nb = realloc(buf, cap * 2);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf) {
        snprintf(err, errlen, "out of memory reading '%s'", path);
        return -1;
    }
    if (bad) {
        snprintf(err, errlen, "cannot read firmware '%s'", path);
        free(buf);
        return -1;
    }
    *out = buf;
    *outlen = len;
    return 0;
}

int lsavr_load_elf(avr_t *avr, const char *path, char *err, size_t errlen)
{
    uint8_t *img;
    size_t len;
    if (read_file(path, &img, &len, err, errlen))
        return -1;
    int rc = -1;
    if (len < 52 || memcmp(img,
                           "\x7f"
                           "ELF",
                           4)) {
        snprintf(err, errlen, "firmware '%s' is not an ELF file", path);
        goto out;
    }
    if (img[4] != 1 || img[5] != 1) {
        snprintf(err, errlen,
                 "firmware '%s' is not a 32-bit little-endian ELF, so not an AVR program", path);
        goto out;
    }
    uint16_t machine = rd16(img + 18);
    if (machine != EM_AVR_MACHINE) {
        snprintf(err, errlen, "firmware '%s' is not an AVR program (ELF machine %u)", path,
                 machine);
        goto out;
    }
    unsigned arch = rd32(img + 36) & EF_AVR_MACH_MASK;
    if (arch != AVR6_ARCH) {
        snprintf(err, errlen, "firmware '%s' is built for %s, not for the atmega2560 (avr6)", path,
                 arch_name(arch));
        goto out;
    }
    uint32_t phoff = rd32(img + 28);
    uint16_t phentsize = rd16(img + 42), phnum = rd16(img + 44);
    if (!phnum || phentsize < 32 || phoff > len || (size_t)phnum * phentsize > len - phoff) {
        snprintf(err, errlen, "firmware '%s' has no usable program headers", path);
        goto out;
    }
    uint32_t flash_top = 0;
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = img + phoff + (size_t)i * phentsize;
        uint32_t type = rd32(ph), off = rd32(ph + 4), paddr = rd32(ph + 12);
        uint32_t filesz = rd32(ph + 16);
        if (type != PT_LOAD_TYPE || !filesz)
            continue;
        if (off > len || filesz > len - off) {
            snprintf(err, errlen, "firmware '%s' is truncated", path);
            goto out;
        }
        if (paddr < AVR_EEPROM_BASE) {
            if (paddr > avr->flashend || filesz > avr->flashend + 1 - paddr) {
                snprintf(err, errlen,
                         "firmware '%s' does not fit in the atmega2560's %u KiB of flash", path,
                         (unsigned)((avr->flashend + 1) / 1024));
                goto out;
            }
            memcpy(avr->flash + paddr, img + off, filesz);
            if (paddr + filesz > flash_top)
                flash_top = paddr + filesz;
        } else if (paddr < AVR_FUSE_BASE) {
            uint32_t eoff = paddr - AVR_EEPROM_BASE;
            if (eoff > avr->e2end || filesz > avr->e2end + 1 - eoff) {
                snprintf(err, errlen, "firmware '%s' has more EEPROM data than the chip holds",
                         path);
                goto out;
            }
            avr_eeprom_desc_t d = {.ee = img + off, .offset = (uint16_t)eoff, .size = filesz};
            avr_ioctl(avr, AVR_IOCTL_EEPROM_SET, &d);
        }
        /* Fuses, lock bits and signature do not change what the code does here. */
    }
    if (!flash_top) {
        snprintf(err, errlen, "firmware '%s' contains no program code", path);
        goto out;
    }
    avr->codeend = flash_top;
    rc = 0;
out:
    free(img);
    return rc;
}
