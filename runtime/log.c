/*
 * runtime/log.c - operator log lines on stderr.
 */
#include "runtime/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static shoal_log_level_t s_level = SHOAL_LOG_INFO;
static char s_node[64] = "shoald";

void shoal_log_init(shoal_log_level_t level, const char *node_name)
{
    s_level = level;
    snprintf(s_node, sizeof s_node, "%s", node_name ? node_name : "shoald");
}

void shoal_log(shoal_log_level_t level, const char *format, ...)
{
    if (level > s_level)
        return;
    static const char *const names[] = {"ERROR", "WARN", "INFO", "DEBUG"};
    char line[1024];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm utc;
    gmtime_r(&now.tv_sec, &utc);
    int used = snprintf(
        line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s ",
        utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour,
        utc.tm_min, utc.tm_sec, now.tv_nsec / 1000000, names[level], s_node);
    va_list args;
    va_start(args, format);
    if (used > 0 && (size_t)used < sizeof line)
        used +=
            vsnprintf(line + used, sizeof line - (size_t)used, format, args);
    va_end(args);
    if (used < 0)
        return;
    if ((size_t)used >= sizeof line - 1)
        used = (int)sizeof line - 2;
    line[used++] = '\n';
    if (write(STDERR_FILENO, line, (size_t)used) < 0)
        return; /* nowhere left to report it */
}
