/*
 * tests/unit/temp_dir.h - a temporary directory per test, for the unit
 * tests that write files (journal, config): created under $TMPDIR (or
 * /tmp) and removed with everything in it.
 */
#ifndef SHOAL_TESTS_TEMP_DIR_H
#define SHOAL_TESTS_TEMP_DIR_H

#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Returns a new empty directory (malloc'd path, the caller frees). */
static inline char *temp_dir_new(void)
{
    const char *base = getenv("TMPDIR");
    char *path = NULL;
    cr_assert_geq(
        asprintf(&path, "%s/shoal-unit-XXXXXX", base && *base ? base : "/tmp"),
        0);
    cr_assert_not_null(mkdtemp(path), "mkdtemp %s failed", path);
    return path;
}

/* nftw callback: removes one file or (emptied) directory. */
static inline int temp_dir_remove_entry(const char *path,
                                        const struct stat *status, int flag,
                                        struct FTW *walk)
{
    (void)status;
    (void)flag;
    (void)walk;
    remove(path);
    return 0;
}

/* Removes the directory and everything in it, frees the path and sets
 * *path_p to NULL. NULL-safe. */
static inline void temp_dir_destroy(char **path_p)
{
    if (!path_p || !*path_p)
        return;
    nftw(*path_p, temp_dir_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(*path_p);
    *path_p = NULL;
}

/* Returns dir/name (malloc'd). */
static inline char *temp_dir_file(const char *dir, const char *name)
{
    char *path = NULL;
    cr_assert_geq(asprintf(&path, "%s/%s", dir, name), 0);
    return path;
}

#endif
