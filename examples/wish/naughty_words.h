/*
 * examples/wish/naughty_words.h - the list of naughty keywords the
 * MakeWish gatekeeper looks for in a wish, loaded from a text file
 * shipped beside the plugin (naughty_words.txt).
 *
 * The file holds one keyword or phrase per line; '#' starts a comment
 * that runs to the end of the line; blank lines are skipped. Keywords and
 * wishes are compared as sequences of words: a word is a run of ASCII
 * letters and digits, or of bytes past ASCII (so a word in another
 * script stays whole); everything else separates words; ASCII letters are
 * compared without case. A keyword is found in a wish when its words
 * appear in the wish as consecutive whole words, the last of them
 * optionally followed by a plural "s" or "es": "stink bomb" is found in
 * "Two STINK-BOMBS please" and "slingshot" in "slingshots", but "ass"
 * would not be found in "class" nor "bomb" in "bombastic".
 *
 * Only ASCII letters are folded to lower case. A loaded list is
 * immutable: any number of threads may read it.
 */
#ifndef SHOAL_EXAMPLES_WISH_NAUGHTY_WORDS_H
#define SHOAL_EXAMPLES_WISH_NAUGHTY_WORDS_H

#include <stddef.h>

typedef struct naughty_words naughty_words_t;

/* Loads the keywords of the file at path. Returns the list (the caller
 * destroys it), or NULL with a reason naming the path in error
 * (error_size bytes, NUL-terminated) when the file cannot be read, holds
 * no keyword, or holds a line with no word in it but a comment. */
naughty_words_t *naughty_words_load(const char *path, char *error,
                                    size_t error_size);

/* Frees the list and sets *self_p to NULL. NULL-safe. */
void naughty_words_destroy(naughty_words_t **self_p);

/* Returns how many keywords the list holds. */
size_t naughty_words_count(const naughty_words_t *self);

/* Returns the first keyword of the list found in text (UTF-8), as its
 * words joined by single spaces in lower case (borrowed from the list), or
 * NULL when there is none. Allocates nothing. */
const char *naughty_words_find(const naughty_words_t *self, const char *text);

#endif
