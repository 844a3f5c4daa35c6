/*
 * tests/fuzz/fuzz_elect_wire.h — what the wire fuzz target and its seed
 * generator share.
 */
#ifndef QURE_FUZZ_ELECT_WIRE_H
#define QURE_FUZZ_ELECT_WIRE_H

/*
 * The fixed cluster key of the fuzz target and of the seed corpus: 32
 * bytes, public, never a real key. Changing it invalidates every seed.
 */
#define FUZZ_ELECT_WIRE_SECRET "qure fuzz key: public, not used"

#endif
