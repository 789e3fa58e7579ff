/*
 * bench/bench_report.c - the rows of a run, printed as a Markdown table
 * and written as JSON (see bench_report.h).
 */
#include "bench_report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define S_ROWS_MAX 64

struct bench_row {
    char workload[8];
    char name[96];
    double value; /* NAN when the figure could not be measured */
    char unit[24];
    char raw_name[96];
    double raw_value; /* NAN when there is no raw limit */
    bench_ratio_kind_t ratio_kind;
    char target[64];
    bench_target_state_t target_state;
    char note[256];
};

struct bench_report {
    bench_row_t rows[S_ROWS_MAX];
    size_t row_count;
    json_t *details; /* workload -> object */
};

/* ---------------------------------------------------------------------
 * The machine
 */

/* Runs a shell command and copies the first line of its output into
 * buffer; "unknown" when it fails. */
static void s_first_line_of(const char *command, char *buffer, size_t size)
{
    snprintf(buffer, size, "unknown");
    FILE *pipe = popen(command, "r");
    if (!pipe)
        return;
    char line[256];
    if (fgets(line, sizeof line, pipe)) {
        size_t length = strcspn(line, "\n");
        if (length >= size)
            length = size - 1;
        if (length > 0) {
            memcpy(buffer, line, length);
            buffer[length] = '\0';
        }
    }
    pclose(pipe);
}

void bench_machine_probe(bench_machine_t *machine, int argc, char **argv,
                         const char *profile)
{
    memset(machine, 0, sizeof *machine);
    machine->profile = profile;
    machine->cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
    machine->memory_mb = (long long)sysconf(_SC_PHYS_PAGES) *
                         (long long)sysconf(_SC_PAGESIZE) / (1024 * 1024);
    snprintf(machine->cpu_model, sizeof machine->cpu_model, "unknown");
    FILE *cpuinfo = fopen("/proc/cpuinfo", "r");
    if (cpuinfo) {
        char line[256];
        while (fgets(line, sizeof line, cpuinfo)) {
            char *colon = strchr(line, ':');
            if (strncmp(line, "model name", 10) == 0 && colon) {
                line[strcspn(line, "\n")] = '\0';
                snprintf(machine->cpu_model, sizeof machine->cpu_model, "%s",
                         colon + 2);
                break;
            }
        }
        fclose(cpuinfo);
    }
    FILE *loadavg = fopen("/proc/loadavg", "r");
    if (loadavg) {
        double one, five, fifteen;
        if (fscanf(loadavg, "%lf %lf %lf", &one, &five, &fifteen) == 3)
            snprintf(machine->load_average, sizeof machine->load_average,
                     "%.2f %.2f %.2f", one, five, fifteen);
        fclose(loadavg);
    }
    struct utsname name;
    if (uname(&name) == 0)
        snprintf(machine->kernel, sizeof machine->kernel, "%s %s %s",
                 name.sysname, name.release, name.machine);
    char commit[48], dirty[8];
    s_first_line_of("git rev-parse --short HEAD 2>/dev/null", commit,
                    sizeof commit);
    s_first_line_of("git status --porcelain 2>/dev/null | head -1 | wc -l",
                    dirty, sizeof dirty);
    snprintf(machine->commit, sizeof machine->commit, "%s%s", commit,
             strcmp(commit, "unknown") != 0 && strcmp(dirty, "1") == 0
                 ? "-dirty"
                 : "");
    time_t now = time(NULL);
    struct tm utc;
    gmtime_r(&now, &utc);
    strftime(machine->date, sizeof machine->date, "%Y-%m-%dT%H:%M:%SZ", &utc);
    size_t used = 0;
    for (int i = 0; i < argc && used < sizeof machine->command; i++)
        used += (size_t)snprintf(machine->command + used,
                                 sizeof machine->command - used, "%s%s",
                                 i ? " " : "", argv[i]);
}

/* ---------------------------------------------------------------------
 * Rows
 */

bench_report_t *bench_report_new(void)
{
    bench_report_t *self = calloc(1, sizeof *self);
    if (self && !(self->details = json_object())) {
        free(self);
        return NULL;
    }
    return self;
}

void bench_report_destroy(bench_report_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    json_decref((*self_p)->details);
    free(*self_p);
    *self_p = NULL;
}

bench_row_t *bench_report_add(bench_report_t *self, const char *workload,
                              const char *name, double value, const char *unit)
{
    /* Programming error: the harness has a fixed, small set of rows. */
    if (self->row_count == S_ROWS_MAX)
        abort();
    bench_row_t *row = &self->rows[self->row_count++];
    memset(row, 0, sizeof *row);
    snprintf(row->workload, sizeof row->workload, "%s", workload);
    snprintf(row->name, sizeof row->name, "%s", name);
    snprintf(row->unit, sizeof row->unit, "%s", unit);
    row->value = value;
    row->raw_value = NAN;
    return row;
}

void bench_report_add_failure(bench_report_t *self, const char *workload,
                              const char *name, const char *reason)
{
    bench_row_t *row = bench_report_add(self, workload, name, NAN, "");
    snprintf(row->note, sizeof row->note, "%s", reason);
}

void bench_row_set_raw(bench_row_t *row, const char *raw_name, double raw_value,
                       bench_ratio_kind_t ratio_kind)
{
    snprintf(row->raw_name, sizeof row->raw_name, "%s", raw_name);
    row->raw_value = raw_value;
    row->ratio_kind = ratio_kind;
}

void bench_row_set_target(bench_row_t *row, const char *target, bool met)
{
    snprintf(row->target, sizeof row->target, "%s", target);
    row->target_state = met ? BENCH_TARGET_MET : BENCH_TARGET_MISSED;
}

void bench_report_set_details(bench_report_t *self, const char *workload,
                              json_t *details)
{
    json_object_set_new(self->details, workload, details);
}

bench_figure_state_t bench_report_figure(const bench_report_t *self,
                                         const char *workload, const char *name,
                                         double *value)
{
    bench_figure_state_t state = BENCH_FIGURE_ABSENT;
    *value = NAN;
    for (size_t i = 0; i < self->row_count; i++) {
        const bench_row_t *row = &self->rows[i];
        if (strcmp(row->workload, workload) != 0)
            continue;
        state = BENCH_FIGURE_FAILED;
        if (strcmp(row->name, name) == 0 && !isnan(row->value)) {
            *value = row->value;
            return BENCH_FIGURE_MEASURED;
        }
    }
    return state;
}

bool bench_report_has_failures(const bench_report_t *self)
{
    for (size_t i = 0; i < self->row_count; i++)
        if (isnan(self->rows[i].value))
            return true;
    return false;
}

/* ---------------------------------------------------------------------
 * The table
 */

/* Renders a number for people: thousands separated when large, a few
 * significant digits when small. */
static void s_format_number(char *buffer, size_t size, double value)
{
    if (isnan(value)) {
        snprintf(buffer, size, "-");
        return;
    }
    double magnitude = fabs(value);
    if (magnitude >= 1000) {
        char digits[40];
        snprintf(digits, sizeof digits, "%.0f", magnitude);
        size_t length = strlen(digits), at = 0;
        if (value < 0 && at + 1 < size)
            buffer[at++] = '-';
        for (size_t i = 0; i < length && at + 2 < size; i++) {
            if (i > 0 && (length - i) % 3 == 0)
                buffer[at++] = ',';
            buffer[at++] = digits[i];
        }
        buffer[at] = '\0';
    } else if (magnitude >= 100)
        snprintf(buffer, size, "%.0f", value);
    else if (magnitude >= 10)
        snprintf(buffer, size, "%.1f", value);
    else
        snprintf(buffer, size, "%.3f", value);
}

static double s_ratio(const bench_row_t *row)
{
    if (row->ratio_kind == BENCH_RATIO_NONE || isnan(row->raw_value) ||
        row->raw_value == 0 || isnan(row->value))
        return NAN;
    return row->value / row->raw_value;
}

static void s_format_ratio(char *buffer, size_t size, const bench_row_t *row)
{
    double ratio = s_ratio(row);
    if (isnan(ratio))
        snprintf(buffer, size, "-");
    else if (row->ratio_kind == BENCH_RATIO_PERCENT)
        snprintf(buffer, size, "%.1f%%", ratio * 100);
    else
        snprintf(buffer, size, "%.1fx", ratio);
}

static const char *s_target_text(bench_target_state_t state)
{
    return state == BENCH_TARGET_MET      ? "yes"
           : state == BENCH_TARGET_MISSED ? "**no**"
                                          : "-";
}

void bench_report_print(const bench_report_t *self,
                        const bench_machine_t *machine, FILE *out)
{
    fprintf(out,
            "\nshoal benchmarks (%s profile)\n"
            "machine: %d cores, %s, %lld MiB, %s\n"
            "load:    %s (1, 5, 15 min averages at the start)\n"
            "commit:  %s\n"
            "date:    %s\n"
            "command: %s\n\n",
            machine->profile, machine->cores, machine->cpu_model,
            machine->memory_mb, machine->kernel, machine->load_average,
            machine->commit, machine->date, machine->command);
    fprintf(out, "| | figure | value | unit | raw limit | raw | ratio | "
                 "target | met |\n");
    fprintf(out, "|---|---|--:|---|---|--:|--:|---|---|\n");
    for (size_t i = 0; i < self->row_count; i++) {
        const bench_row_t *row = &self->rows[i];
        char value[48], raw[48], ratio[24];
        s_format_number(value, sizeof value, row->value);
        s_format_number(raw, sizeof raw, row->raw_value);
        s_format_ratio(ratio, sizeof ratio, row);
        if (isnan(row->value))
            fprintf(out, "| %s | %s | FAILED | | %s | | | %s | |\n",
                    row->workload, row->name, row->note, row->target);
        else
            fprintf(out, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                    row->workload, row->name, value, row->unit,
                    *row->raw_name ? row->raw_name : "-", raw, ratio,
                    *row->target ? row->target : "-",
                    s_target_text(row->target_state));
    }
    fprintf(out, "\n");
}

/* ---------------------------------------------------------------------
 * JSON
 */

/* A number, or null when it is NAN. */
static json_t *s_number(double value)
{
    return isnan(value) ? json_null() : json_real(value);
}

static json_t *s_row_json(const bench_row_t *row)
{
    json_t *json = json_object();
    json_object_set_new(json, "workload", json_string(row->workload));
    json_object_set_new(json, "figure", json_string(row->name));
    json_object_set_new(json, "value", s_number(row->value));
    json_object_set_new(json, "unit", json_string(row->unit));
    json_object_set_new(json, "raw_limit",
                        *row->raw_name ? json_string(row->raw_name)
                                       : json_null());
    json_object_set_new(json, "raw_value", s_number(row->raw_value));
    json_object_set_new(json, "ratio", s_number(s_ratio(row)));
    json_object_set_new(json, "target",
                        *row->target ? json_string(row->target) : json_null());
    json_object_set_new(
        json, "met",
        row->target_state == BENCH_TARGET_NONE
            ? json_null()
            : json_boolean(row->target_state == BENCH_TARGET_MET));
    if (*row->note)
        json_object_set_new(json, "error", json_string(row->note));
    return json;
}

int bench_report_write_json(const bench_report_t *self,
                            const bench_machine_t *machine, const char *path)
{
    json_t *rows = json_array();
    for (size_t i = 0; i < self->row_count; i++)
        json_array_append_new(rows, s_row_json(&self->rows[i]));
    json_t *root = json_pack(
        "{s:s, s:{s:i, s:s, s:s, s:I, s:s}, s:s, s:s, s:s, s:o, s:O}",
        "profile", machine->profile, "machine", "cores", machine->cores,
        "cpu_model", machine->cpu_model, "kernel", machine->kernel, "memory_mb",
        (json_int_t)machine->memory_mb, "load_average", machine->load_average,
        "commit", machine->commit, "date", machine->date, "command",
        machine->command, "results", rows, "details", self->details);
    if (!root) {
        fprintf(stderr, "shoal-bench: cannot build the JSON report\n");
        return -1;
    }
    int rc =
        json_dump_file(root, path, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
    json_decref(root);
    if (rc != 0)
        fprintf(stderr, "shoal-bench: cannot write %s\n", path);
    return rc == 0 ? 0 : -1;
}
