/*
 * shoal/shoal.h - the umbrella header: everything a plugin or a client of
 * shoal may include.
 */
#ifndef SHOAL_SHOAL_H
#define SHOAL_SHOAL_H

#include "shoal/client.h"
#include "shoal/plugin.h"

#define SHOAL_VERSION "0.1.0"

#endif
