/*
 * bench/bench_report.h - the results of one run: one row per workload
 * figure, with the raw limit it is measured against, the ratio, the
 * target and whether it was met; the machine and the run's details.
 *
 * The report prints as a Markdown table (so that docs/BENCHMARKS.md can
 * hold it as printed) and writes itself as JSON.
 */
#ifndef SHOAL_BENCH_REPORT_H
#define SHOAL_BENCH_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

typedef enum {
    BENCH_RATIO_NONE,
    BENCH_RATIO_PERCENT, /* a rate: value / raw, shown as a percentage */
    BENCH_RATIO_TIMES,   /* a latency: value / raw, shown as "12.3x" */
} bench_ratio_kind_t;

typedef enum {
    BENCH_TARGET_NONE,
    BENCH_TARGET_MET,
    BENCH_TARGET_MISSED,
} bench_target_state_t;

typedef struct bench_row bench_row_t;
typedef struct bench_report bench_report_t;

/* The machine and the run, for the table's header and the JSON. */
typedef struct {
    int cores;
    char cpu_model[128];
    char kernel[256];
    long long memory_mb;
    char load_average[64]; /* /proc/loadavg at the start: other load */
    char commit[64];
    char date[40]; /* UTC, ISO 8601 */
    char command[2048];
    const char *profile;
} bench_machine_t;

/* Fills *machine: nproc, the CPU model from /proc/cpuinfo, the kernel,
 * the memory, `git rev-parse --short HEAD` (with "-dirty" when the tree
 * has changes; "unknown" outside a git tree), the date and argv. */
void bench_machine_probe(bench_machine_t *machine, int argc, char **argv,
                         const char *profile);

/* Creates an empty report (the caller's, bench_report_destroy). */
bench_report_t *bench_report_new(void);

/* Frees the report and sets *self_p to NULL. NULL-safe. */
void bench_report_destroy(bench_report_t **self_p);

/* Adds a figure and returns its row (owned by the report) for the
 * setters below. */
bench_row_t *bench_report_add(bench_report_t *self, const char *workload,
                              const char *name, double value, const char *unit);

/* Adds a figure that could not be measured, with the reason. */
void bench_report_add_failure(bench_report_t *self, const char *workload,
                              const char *name, const char *reason);

/* The raw limit the figure is read against. */
void bench_row_set_raw(bench_row_t *row, const char *raw_name, double raw_value,
                       bench_ratio_kind_t ratio_kind);

/* The target, as text ("<= 2 ms"), and whether the figure meets it. */
void bench_row_set_target(bench_row_t *row, const char *target, bool met);

/* Sets the details of a workload (a JSON object; the report takes the
 * reference). Replaces earlier details of the same workload. */
void bench_report_set_details(bench_report_t *self, const char *workload,
                              json_t *details);

typedef enum {
    BENCH_FIGURE_ABSENT,   /* the workload has no row: it did not run */
    BENCH_FIGURE_FAILED,   /* it ran, but this figure was not measured */
    BENCH_FIGURE_MEASURED, /* *value holds the figure */
} bench_figure_state_t;

/* Looks up figure `name` of workload among the rows added so far, so
 * that a later workload can be read against an earlier one. Sets *value
 * to the figure, or to NAN when it is not measured. */
bench_figure_state_t bench_report_figure(const bench_report_t *self,
                                         const char *workload, const char *name,
                                         double *value);

/* True when some figure could not be measured. */
bool bench_report_has_failures(const bench_report_t *self);

/* Prints the machine and the table, in Markdown. */
void bench_report_print(const bench_report_t *self,
                        const bench_machine_t *machine, FILE *out);

/* Writes the report as JSON to path. Returns 0 or -1. */
int bench_report_write_json(const bench_report_t *self,
                            const bench_machine_t *machine, const char *path);

#endif
