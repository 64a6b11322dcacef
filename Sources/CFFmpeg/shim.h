#ifndef VCOLOR_FFMPEG_SHIM_H
#define VCOLOR_FFMPEG_SHIM_H
// libavformat, for probing inputs in-process (the library ffprobe itself runs),
// and libavcodec, for decoding still photos in-process; video decoding stays in
// an ffmpeg child process.
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/display.h>
#include <libavutil/pixdesc.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

// AV_NOPTS_VALUE and AV_TIME_BASE are macros Swift cannot import.
static inline int64_t vc_av_nopts_value(void) { return AV_NOPTS_VALUE; }
static inline int vc_av_time_base(void) { return AV_TIME_BASE; }

// Pixel-format flags and AVERROR(EAGAIN), macros too.
static inline uint64_t vc_pix_fmt_flag_be(void) { return AV_PIX_FMT_FLAG_BE; }
static inline uint64_t vc_pix_fmt_flag_pal(void) { return AV_PIX_FMT_FLAG_PAL; }
static inline uint64_t vc_pix_fmt_flag_rgb(void) { return AV_PIX_FMT_FLAG_RGB; }
static inline uint64_t vc_pix_fmt_flag_unsupported(void) {
    return AV_PIX_FMT_FLAG_BITSTREAM | AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_BAYER | AV_PIX_FMT_FLAG_FLOAT;
}
static inline int vc_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int vc_averror_eof(void) { return AVERROR_EOF; }
static inline int vc_av_ef_explode(void) { return AV_EF_EXPLODE; }
static inline int vc_av_frame_flag_corrupt(void) { return AV_FRAME_FLAG_CORRUPT; }

static inline double vc_monotonic_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

// libavformat's own words for what went wrong ("moov atom not found"): its log
// callback keeps the last error-level line of each thread instead of printing
// it, so a probe's failure can name it in one line of vcolor's. (The buffer
// lives in a function: Swift does not import a header's static variables.)
static inline char *vc_av_last_error_buffer(void) {
    static __thread char line[256];
    return line;
}

static inline void vc_av_keep_last_error(void *context, int level, const char *format, va_list arguments) {
    (void)context;
    if (level > AV_LOG_ERROR) return;
    char *line = vc_av_last_error_buffer();
    vsnprintf(line, 256, format, arguments);
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == ' ')) line[--n] = 0;
}

static inline void vc_av_capture_errors(void) { av_log_set_callback(vc_av_keep_last_error); }
static inline void vc_av_clear_last_error(void) { vc_av_last_error_buffer()[0] = 0; }
static inline const char *vc_av_last_error(void) { return vc_av_last_error_buffer(); }
#endif
