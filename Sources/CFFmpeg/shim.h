#ifndef VCOLOR_FFMPEG_SHIM_H
#define VCOLOR_FFMPEG_SHIM_H
// libavformat, for probing inputs in-process (the library ffprobe itself runs);
// decoding stays in an ffmpeg child process.
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <time.h>

// AVERROR(EAGAIN) and friends are macros Swift cannot import.
static inline int vc_averror_eof(void) { return AVERROR_EOF; }
static inline int64_t vc_av_nopts_value(void) { return AV_NOPTS_VALUE; }
static inline int vc_av_time_base(void) { return AV_TIME_BASE; }

static inline double vc_monotonic_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

// libavformat's interrupt callback: non-zero once the deadline (seconds on the
// monotonic clock, pointed to by `opaque`) has passed, so a probe cannot hang.
static inline int vc_deadline_passed(void *opaque) {
    return vc_monotonic_seconds() > *(const double *)opaque;
}
#endif
