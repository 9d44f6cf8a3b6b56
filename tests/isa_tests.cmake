list(APPEND BITNET_ISA_TESTS test_cast)
list(APPEND BITNET_ISA_TESTS test_bitlinear)
list(APPEND BITNET_ISA_TESTS test_ops_reduce test_ops_softmax test_ops_norm)
list(APPEND BITNET_ISA_TESTS test_ops_binary test_ops_unary)
