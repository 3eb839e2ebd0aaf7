/* ADC and digital inputs. Forever: convert ADC2 (PF2) and ADC11 (PK3)
 * against AVcc, store the results at 0x210 and 0x212 (little endian);
 * store PINA at 0x214 with PA0 pulled up and PA1 floating, rewriting
 * PORTA every round (which must not disturb a driven input); count
 * rounds at 0x215. 0xAA at 0x20F after the first round. */
#include <avr/io.h>
#include <stdint.h>

#define RES ((volatile uint8_t *)0x210)

static uint16_t convert(uint8_t ch)
{
    ADMUX = (1 << REFS0) | (ch & 7);
    ADCSRB = ch >= 8 ? (1 << MUX5) : 0;
    ADCSRA |= 1 << ADSC;
    while (ADCSRA & (1 << ADSC))
        ;
    return ADC;
}

int main(void)
{
    DDRA = 0;
    ADCSRA = (1 << ADEN) | (1 << ADPS2) | (1 << ADPS1) | (1 << ADPS0);
    for (;;) {
        PORTA = 0x01;
        uint16_t a = convert(2), b = convert(11);
        RES[0] = a & 0xff;
        RES[1] = a >> 8;
        RES[2] = b & 0xff;
        RES[3] = b >> 8;
        RES[4] = PINA;
        RES[5]++;
        *(volatile uint8_t *)0x20F = 0xAA;
    }
}
