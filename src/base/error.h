/* error.h - the size of an error message (SP_ERRLEN). Header-only, so that
 * analysis/ (compiled into probes) can use it without linking base/. */
#ifndef SP_ERROR_H
#define SP_ERROR_H

#define SP_ERRLEN 1024

#endif
