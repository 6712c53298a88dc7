/* vigil.h -- umbrella header of libvigil: include this one. */
#ifndef VIGIL_H
#define VIGIL_H

#define VIGIL_VERSION "0.1.0"

#include <vigil/error.h>
#include <vigil/alloc.h>
#include <vigil/addr.h>
#include <vigil/record.h>
#include <vigil/diag.h>
#include <vigil/reader.h>
#include <vigil/paths.h>
#include <vigil/stats.h>
#include <vigil/merge.h>
#include <vigil/simulate.h>
#include <vigil/finding.h>
#include <vigil/config.h>
#include <vigil/hunt.h>
#include <vigil/state.h>
#include <vigil/geo.h>

#endif
