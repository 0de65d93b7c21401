/*
 * core.h - everything libcgcore offers, for modules that want all of it.
 */
#ifndef CG_CORE_H
#define CG_CORE_H

#include "core/buf.h"
#include "core/conf.h"
#include "core/csvread.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/http-client.h"
#include "core/init.h"
#include "core/log.h"
#include "core/money.h"
#include "core/text.h"

#endif
