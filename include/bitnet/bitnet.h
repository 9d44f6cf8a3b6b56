/**
 * @file bitnet.h
 * @brief The whole public API of libbitnet: include this one header.
 */
#ifndef BITNET_BITNET_H
#define BITNET_BITNET_H

#include "bitnet/export.h"
#include "bitnet/version.h"
#include "bitnet/status.h"
#include "bitnet/device.h"
#include "bitnet/memory.h"
#include "bitnet/context.h"
#include "bitnet/tensor.h"
#include "bitnet/quant.h"
#include "bitnet/precision.h"
#include "bitnet/bitlinear.h"
#include "bitnet/ops.h"
#include "bitnet/linalg.h"
#include "bitnet/tokenizer.h"
#include "bitnet/sequence.h"
#include "bitnet/gguf.h"
#include "bitnet/io.h"
#include "bitnet/model.h"

#endif /* BITNET_BITNET_H */
