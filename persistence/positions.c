/*
 * persistence/positions.c - the shoal_positions table-valued function
 * (see positions.h): an eponymous virtual table with one column, value,
 * and two hidden ones, the array (a pointer bound with
 * sqlite3_bind_pointer) and its length, which every use must constrain.
 */
#include "persistence/positions.h"

#include <stdlib.h>
#include <string.h>

#define S_POINTER_TYPE "shoal_positions"

enum { S_COLUMN_VALUE, S_COLUMN_ARRAY, S_COLUMN_COUNT };

typedef struct {
    sqlite3_vtab_cursor base;
    const int64_t *positions; /* borrowed from the binding */
    sqlite3_int64 count;
    sqlite3_int64 at;
} s_cursor_t;

static int s_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                     sqlite3_vtab **vtab_p, char **error)
{
    int rc = sqlite3_declare_vtab(
        db, "CREATE TABLE x(value INTEGER, array HIDDEN, count HIDDEN)");
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_vtab *vtab = sqlite3_malloc(sizeof *vtab);
    if (!vtab)
        return SQLITE_NOMEM;
    memset(vtab, 0, sizeof *vtab);
    *vtab_p = vtab;
    return SQLITE_OK;
}

static int s_disconnect(sqlite3_vtab *vtab)
{
    sqlite3_free(vtab);
    return SQLITE_OK;
}

/* Takes the array and count from equality constraints on the hidden
 * columns; a use without both cannot be planned. */
static int s_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info)
{
    int array = -1, count = -1;
    for (int i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *constraint =
            &info->aConstraint[i];
        if (!constraint->usable || constraint->op != SQLITE_INDEX_CONSTRAINT_EQ)
            continue;
        if (constraint->iColumn == S_COLUMN_ARRAY)
            array = i;
        else if (constraint->iColumn == S_COLUMN_COUNT)
            count = i;
    }
    if (array < 0 || count < 0)
        return SQLITE_CONSTRAINT;
    info->aConstraintUsage[array].argvIndex = 1;
    info->aConstraintUsage[array].omit = 1;
    info->aConstraintUsage[count].argvIndex = 2;
    info->aConstraintUsage[count].omit = 1;
    info->estimatedCost = 1.0;
    info->estimatedRows = 64;
    return SQLITE_OK;
}

static int s_open(sqlite3_vtab *vtab, sqlite3_vtab_cursor **cursor_p)
{
    s_cursor_t *cursor = sqlite3_malloc(sizeof *cursor);
    if (!cursor)
        return SQLITE_NOMEM;
    memset(cursor, 0, sizeof *cursor);
    *cursor_p = &cursor->base;
    return SQLITE_OK;
}

static int s_close(sqlite3_vtab_cursor *cursor)
{
    sqlite3_free(cursor);
    return SQLITE_OK;
}

static int s_filter(sqlite3_vtab_cursor *base, int index_number,
                    const char *index_string, int argc, sqlite3_value **argv)
{
    s_cursor_t *cursor = (s_cursor_t *)base;
    cursor->positions =
        argc == 2 ? sqlite3_value_pointer(argv[0], S_POINTER_TYPE) : NULL;
    cursor->count = cursor->positions ? sqlite3_value_int64(argv[1]) : 0;
    if (cursor->count < 0)
        cursor->count = 0;
    cursor->at = 0;
    return SQLITE_OK;
}

static int s_next(sqlite3_vtab_cursor *base)
{
    ((s_cursor_t *)base)->at++;
    return SQLITE_OK;
}

static int s_eof(sqlite3_vtab_cursor *base)
{
    const s_cursor_t *cursor = (const s_cursor_t *)base;
    return cursor->at >= cursor->count;
}

static int s_column(sqlite3_vtab_cursor *base, sqlite3_context *context,
                    int column)
{
    const s_cursor_t *cursor = (const s_cursor_t *)base;
    if (column == S_COLUMN_VALUE)
        sqlite3_result_int64(context, cursor->positions[cursor->at]);
    else if (column == S_COLUMN_COUNT)
        sqlite3_result_int64(context, cursor->count);
    else
        sqlite3_result_null(context);
    return SQLITE_OK;
}

static int s_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *rowid)
{
    *rowid = ((const s_cursor_t *)base)->at;
    return SQLITE_OK;
}

static const sqlite3_module s_module = {
    .iVersion = 0,
    .xCreate = NULL, /* eponymous only: no CREATE VIRTUAL TABLE */
    .xConnect = s_connect,
    .xBestIndex = s_best_index,
    .xDisconnect = s_disconnect,
    .xDestroy = NULL,
    .xOpen = s_open,
    .xClose = s_close,
    .xFilter = s_filter,
    .xNext = s_next,
    .xEof = s_eof,
    .xColumn = s_column,
    .xRowid = s_rowid,
};

int shoal__positions_register(sqlite3 *db)
{
    return sqlite3_create_module(db, "shoal_positions", &s_module, NULL);
}

int shoal__positions_bind(sqlite3_stmt *stmt, int index,
                          const int64_t *positions, size_t count)
{
    int rc = sqlite3_bind_pointer(stmt, index, (void *)positions,
                                  S_POINTER_TYPE, NULL);
    if (rc != SQLITE_OK)
        return rc;
    return sqlite3_bind_int64(stmt, index + 1, (sqlite3_int64)count);
}
