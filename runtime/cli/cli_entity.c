/*
 * runtime/cli/cli_entity.c - checks of the names given on the command
 * line against the protocol's limits (docs/PROTOCOL.md), so that a wrong
 * name is reported as a usage error naming the problem instead of a
 * refusal by the node.
 */
#include "runtime/cli/cli.h"

#include <stdbool.h>
#include <string.h>

/* True when name holds only [A-Za-z0-9_-]. */
static bool s_is_token(const char *name, size_t size)
{
    for (size_t index = 0; index < size; index++) {
        char c = name[index];
        bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                       (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!allowed)
            return false;
    }
    return true;
}

/* Checks a type or command name: 1..max_size bytes of [A-Za-z0-9_-]. */
static int s_check_token(const cli_command_t *command, const char *what,
                         const char *name, size_t size, size_t max_size)
{
    if (size == 0)
        return cli_usage_error(command, "the %s is empty", what);
    if (size > max_size)
        return cli_usage_error(command, "the %s is longer than %zu bytes", what,
                               max_size);
    if (!s_is_token(name, size))
        return cli_usage_error(command,
                               "the %s '%.*s' may hold only letters, digits, "
                               "'_' and '-'",
                               what, (int)size, name);
    return 0;
}

/* Splits argument, "TYPE/ID", at its first '/' into entity and checks
 * both parts. Returns 0, or CLI_EXIT_USAGE after saying what is wrong. */
int cli_entity_parse(const cli_command_t *command, const char *argument,
                     cli_entity_t *entity)
{
    const char *slash = strchr(argument, '/');
    if (slash == NULL)
        return cli_usage_error(command, "expected TYPE/ID, got '%s'", argument);
    size_t type_size = (size_t)(slash - argument);
    int rc = s_check_token(command, "type", argument, type_size,
                           SHOAL_TYPE_NAME_MAX);
    if (rc != 0)
        return rc;
    memcpy(entity->type, argument, type_size);
    entity->type[type_size] = '\0';

    entity->id = slash + 1;
    size_t id_size = strlen(entity->id);
    if (id_size == 0)
        return cli_usage_error(command, "the entity id after '%s/' is empty",
                               entity->type);
    if (id_size > SHOAL_ENTITY_ID_MAX)
        return cli_usage_error(command, "the entity id is longer than %d bytes",
                               SHOAL_ENTITY_ID_MAX);
    if (strchr(entity->id, '/') != NULL)
        return cli_usage_error(command, "the entity id '%s' contains '/'",
                               entity->id);
    return 0;
}

/* Checks a command name. Returns 0 or CLI_EXIT_USAGE. */
int cli_check_command_name(const cli_command_t *command, const char *name)
{
    return s_check_token(command, "command name", name, strlen(name),
                         SHOAL_COMMAND_NAME_MAX);
}

/* Checks a command id (--id): at most SHOAL_COMMAND_ID_MAX bytes. Returns
 * 0 or CLI_EXIT_USAGE. */
int cli_check_command_id(const cli_command_t *command, const char *command_id)
{
    if (command_id != NULL && strlen(command_id) > SHOAL_COMMAND_ID_MAX)
        return cli_usage_error(command,
                               "the command id is longer than %d bytes",
                               SHOAL_COMMAND_ID_MAX);
    return 0;
}

/* Checks a topic name: 1..SHOAL_TOPIC_NAME_MAX bytes of [A-Za-z0-9_-].
 * Returns 0 or CLI_EXIT_USAGE. */
int cli_check_topic_name(const cli_command_t *command, const char *name)
{
    return s_check_token(command, "topic", name, strlen(name),
                         SHOAL_TOPIC_NAME_MAX);
}

/* Checks a policy name: 1..SHOAL_POLICY_NAME_MAX bytes of [A-Za-z0-9_-].
 * Returns 0 or CLI_EXIT_USAGE. */
int cli_check_policy_name(const cli_command_t *command, const char *name)
{
    return s_check_token(command, "policy", name, strlen(name),
                         SHOAL_POLICY_NAME_MAX);
}
