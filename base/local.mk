# base/: what every edge part and src/ share (non-recursive build, included
# by the root Makefile.am): the log, the clock, allocation that cannot
# fail. Links only libc. election/ includes none of it (it logs nothing,
# reads no clock and allocates through its own calls): that keeps it pure.
noinst_LIBRARIES += base/libqure_base.a
base_libqure_base_a_SOURCES = \
	base/log.c base/log.h \
	base/clock.c base/clock.h \
	base/xmalloc.c base/xmalloc.h
# Last on a link line: the other parts' archives call into it.
BASE_LIBS = base/libqure_base.a
