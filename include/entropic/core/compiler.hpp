// Compiler spellings the kernels share.
#pragma once

// Marks pointers that do not alias, so loops over them vectorise without run-time overlap checks.
#if defined(__GNUC__) || defined(__clang__)
#define ENTROPIC_RESTRICT __restrict__
#else
#define ENTROPIC_RESTRICT
#endif
