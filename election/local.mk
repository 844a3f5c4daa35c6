# election/: the pure cluster core. Links only libc and nettle (HMAC):
# that is what keeps it pure (doc/style.md §1).
noinst_LIBRARIES += election/libqure_elect.a
election_libqure_elect_a_SOURCES = \
	election/election.h \
	election/elect_int.h \
	election/elect_wire.c \
	election/elect_member.c \
	election/elect_alive.c \
	election/elect_detector.c \
	election/elect_reqs.c \
	election/elect_rto.c \
	election/elect_fsm.c \
	election/elect_trans.c \
	election/elect_send.c \
	election/elect_rx.c \
	election/elect_fast.c \
	election/elect_fence.c \
	election/elect_timers.c \
	election/elect_site.c \
	election/elect_key.c
election_libqure_elect_a_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS)
ELECT_LIBS = election/libqure_elect.a $(CRYPTO_LIBS)
