/*
 * base/clock.h — the only clock read of qured, qurectl and the parts
 * (doc/style.md §7).
 */
#ifndef QURE_CLOCK_H
#define QURE_CLOCK_H

#include <stdint.h>

/*
 * Milliseconds on a clock that never goes backwards, is not moved by
 * setting the date, and keeps counting while the machine is suspended
 * (CLOCK_BOOTTIME; see clock.c). Only differences mean anything. Read it
 * once at the top of a callback and pass the value down.
 */
uint64_t clock_now_ms(void);

/*
 * Milliseconds since the Unix epoch (CLOCK_REALTIME): for stamps that a
 * person or another program lines up with its own (log lines), never for
 * timing anything: it jumps when the date is set.
 */
uint64_t clock_wall_ms(void);

/*
 * Milliseconds of CPU this process has run (CLOCK_PROCESS_CPUTIME_ID):
 * beside clock_now_ms() it tells a loop busy with its own work from one
 * the host did not run (a stall's diagnosis, never a timing).
 */
uint64_t clock_cpu_ms(void);

#endif
