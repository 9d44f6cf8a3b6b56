list(APPEND BITNET_ISA_TESTS test_cast)
list(APPEND BITNET_ISA_TESTS test_bitlinear)
list(APPEND BITNET_ISA_TESTS test_ops_reduce test_ops_softmax test_ops_norm test_ops_rope)
list(APPEND BITNET_ISA_TESTS test_ops_binary test_ops_unary test_ops_errors)
list(APPEND BITNET_ISA_TESTS test_precision)
# test_vmath checks every ISA table itself (bni_ew_kernels_for_isa) in one run.
# AVX2 paths chosen by bn_cpu_isa() outside src/cpu: the model's attention
# and output-layer dot products, linalg's copy with the NaN/inf check.
list(APPEND BITNET_ISA_TESTS test_model test_linalg_errors test_linalg_decomp test_linalg_matmul)
