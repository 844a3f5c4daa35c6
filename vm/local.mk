# vm/: targets of this folder (non-recursive build, included by the root Makefile.am).
