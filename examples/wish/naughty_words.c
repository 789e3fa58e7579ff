/*
 * examples/wish/naughty_words.c - the naughty keyword list: loading it
 * from its file, and finding its keywords in a wish (the rules are in
 * naughty_words.h).
 *
 * Each keyword is kept normalized, its words in lower case joined by
 * single spaces ("stink bomb"), and the wish is walked word by word
 * without being copied, so a lookup allocates nothing.
 */
#include "naughty_words.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct naughty_words {
    size_t count;
    size_t capacity;
    char **keywords; /* normalized, in file order */
};

/* --- Words -------------------------------------------------------------- */

static bool s_is_word_byte(unsigned char byte)
{
    return (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
           (byte >= '0' && byte <= '9') || byte >= 0x80;
}

static char s_lower(char byte)
{
    return byte >= 'A' && byte <= 'Z' ? (char)(byte - 'A' + 'a') : byte;
}

/* Finds the first word at or after *at: sets *word and *length, moves *at
 * past it and returns true; false when no word is left. */
static bool s_next_word(const char **at, const char **word, size_t *length)
{
    const char *cursor = *at;
    while (*cursor && !s_is_word_byte((unsigned char)*cursor))
        cursor++;
    if (!*cursor)
        return false;
    *word = cursor;
    while (*cursor && s_is_word_byte((unsigned char)*cursor))
        cursor++;
    *length = (size_t)(cursor - *word);
    *at = cursor;
    return true;
}

/* True when word (length bytes, any case) equals the keyword word key
 * (key_length bytes, lower case); a last word may add "s" or "es". */
static bool s_word_matches(const char *word, size_t length, const char *key,
                           size_t key_length, bool last)
{
    if (length < key_length)
        return false;
    for (size_t i = 0; i < key_length; i++)
        if (s_lower(word[i]) != key[i])
            return false;
    const char *rest = word + key_length;
    size_t rest_length = length - key_length;
    if (rest_length == 0)
        return true;
    if (!last)
        return false;
    return (rest_length == 1 && s_lower(rest[0]) == 's') ||
           (rest_length == 2 && s_lower(rest[0]) == 'e' &&
            s_lower(rest[1]) == 's');
}

/* True when the words of text from at on begin with keyword's words. */
static bool s_matches_at(const char *at, const char *keyword)
{
    for (;;) {
        size_t key_length = strcspn(keyword, " ");
        bool last = keyword[key_length] == '\0';
        const char *word;
        size_t length;
        if (!s_next_word(&at, &word, &length) ||
            !s_word_matches(word, length, keyword, key_length, last))
            return false;
        if (last)
            return true;
        keyword += key_length + 1;
    }
}

const char *naughty_words_find(const naughty_words_t *self, const char *text)
{
    const char *at = text, *word;
    size_t length;
    while (s_next_word(&at, &word, &length))
        for (size_t i = 0; i < self->count; i++)
            if (s_matches_at(word, self->keywords[i]))
                return self->keywords[i];
    return NULL;
}

/* --- Loading ------------------------------------------------------------ */

/* Rewrites line in place as its words in lower case joined by single
 * spaces, dropping any '#' comment. */
static void s_normalize(char *line)
{
    line[strcspn(line, "#")] = '\0';
    const char *at = line, *word;
    size_t length;
    char *out = line;
    while (s_next_word(&at, &word, &length)) {
        if (out != line)
            *out++ = ' ';
        for (size_t i = 0; i < length; i++)
            *out++ = s_lower(word[i]); /* out never passes word */
    }
    *out = '\0';
}

/* True when line, up to any '#', holds nothing but white space. */
static bool s_is_blank(const char *line)
{
    for (; *line && *line != '#'; line++)
        if (!strchr(" \t\r\n\v\f", *line))
            return false;
    return true;
}

/* Appends keyword (taken over). Returns 0, or -1 when out of memory (the
 * keyword is then freed). */
static int s_append(naughty_words_t *self, char *keyword)
{
    if (self->count == self->capacity) {
        size_t capacity = self->capacity ? self->capacity * 2 : 32;
        char **keywords = realloc(self->keywords, capacity * sizeof *keywords);
        if (!keywords) {
            free(keyword);
            return -1;
        }
        self->keywords = keywords;
        self->capacity = capacity;
    }
    self->keywords[self->count++] = keyword;
    return 0;
}

/* Reads the keywords of file into self. Returns 0, or -1 with the reason
 * in error. */
static int s_read(naughty_words_t *self, FILE *file, const char *path,
                  char *error, size_t error_size)
{
    char *line = NULL;
    size_t line_capacity = 0;
    size_t line_number = 0;
    int result = -1;
    while (getline(&line, &line_capacity, file) >= 0) {
        line_number++;
        if (s_is_blank(line))
            continue;
        s_normalize(line);
        if (!*line) {
            snprintf(error, error_size,
                     "%s:%zu: a keyword needs a letter or a digit", path,
                     line_number);
            goto out_free_line;
        }
        char *keyword = strdup(line);
        if (!keyword || s_append(self, keyword) < 0) {
            snprintf(error, error_size, "%s: out of memory", path);
            goto out_free_line;
        }
    }
    if (ferror(file))
        snprintf(error, error_size, "%s: %s", path, strerror(errno));
    else if (self->count == 0)
        snprintf(error, error_size, "%s: no naughty keyword in the file", path);
    else
        result = 0;

out_free_line:
    free(line);
    return result;
}

naughty_words_t *naughty_words_load(const char *path, char *error,
                                    size_t error_size)
{
    FILE *file = fopen(path, "r");
    if (!file) {
        snprintf(error, error_size, "%s: %s", path, strerror(errno));
        return NULL;
    }
    naughty_words_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(error, error_size, "%s: out of memory", path);
        goto out_close_file;
    }
    if (s_read(self, file, path, error, error_size) < 0)
        naughty_words_destroy(&self);

out_close_file:
    fclose(file);
    return self;
}

void naughty_words_destroy(naughty_words_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    naughty_words_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        free(self->keywords[i]);
    free(self->keywords);
    free(self);
    *self_p = NULL;
}

size_t naughty_words_count(const naughty_words_t *self)
{
    return self->count;
}
