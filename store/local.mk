# store/: the site store's pure cores (issue 11): where keys and buckets
# go (place.c, weighted rendezvous hashing). Links libc and libm only.
noinst_LIBRARIES += store/libqure_store.a
store_libqure_store_a_SOURCES = \
	store/place.c store/place.h
STORE_LIBS = store/libqure_store.a -lm

# Placement: shares by weight, and what moves on a join or a leave.
check_PROGRAMS += tests/unit/test_store_place
TESTS += tests/unit/test_store_place
tests_unit_test_store_place_SOURCES = tests/unit/test_store_place.c
tests_unit_test_store_place_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_store_place_LDADD = $(STORE_LIBS) $(CMOCKA_LIBS)
