/*
 * base/textfile.h — a small text file (a config file) read whole.
 */
#ifndef QURE_TEXTFILE_H
#define QURE_TEXTFILE_H

#include <stddef.h>

/*
 * The text of path, NUL-terminated (free() it; "" for an empty file), or
 * NULL with "PATH: strerror" or "PATH: cannot read it" in err. A NUL
 * byte in the file ends the text there: the callers parse text.
 */
char *textfile_read(const char *path, char *err, size_t errlen);

#endif
